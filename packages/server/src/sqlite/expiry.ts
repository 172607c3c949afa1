/** Expired leases: the attempt is `lost`; the task goes back to the queue, or fails past its attempts. */
import type { ExpiryResult } from '../store.js';
import { endAttempt, type OpContext } from './_context.js';

interface LeasedRow {
  seq: number;
  scan: string;
  charged: number;
  max_attempts: number;
  attempt_count: number;
  worker_id: string;
  host: string;
  lease_expires_at: number;
}

export function expireLeases(ctx: OpContext): ExpiryResult {
  const rows = ctx
    .stmt(
      `SELECT seq, scan, charged, max_attempts, attempt_count, worker_id, host, lease_expires_at
       FROM tasks WHERE state = 'running' AND lease_expires_at <= ?`,
    )
    .all(ctx.now) as LeasedRow[];
  const result: ExpiryResult = { requeued: 0, failed: 0 };
  if (rows.length === 0) return result;
  // A lost task goes to the front of the queue (not_before 0): it was first in line already.
  const requeue = ctx.stmt(
    `UPDATE tasks SET state = 'queued', not_before = 0, lease_expires_at = NULL, updated_at = ? WHERE seq = ?`,
  );
  const fail = ctx.stmt(
    `UPDATE tasks SET state = 'failed', lease_expires_at = NULL, finished_at = ?, updated_at = ?, error = ?
     WHERE seq = ?`,
  );
  const countLost = ctx.stmt('UPDATE scans SET lost_attempts = lost_attempts + 1 WHERE name = ?');
  for (const row of rows) {
    const why = `lease expired: worker ${row.worker_id} on ${row.host} stopped heartbeating`;
    endAttempt(ctx, row.seq, row.attempt_count, 'lost', row.lease_expires_at, why);
    countLost.run(row.scan);
    if (row.charged >= row.max_attempts) {
      fail.run(ctx.now, ctx.now, `${why} (attempt ${row.charged} of ${row.max_attempts})`, row.seq);
      result.failed++;
    } else {
      requeue.run(ctx.now, row.seq);
      result.requeued++;
    }
  }
  return result;
}

/** When the earliest backed-off task becomes ready, so that waiting claims can be woken then. */
export function nextReadyAt(ctx: OpContext): number | null {
  const row = ctx
    .stmt(`SELECT min(not_before) AS at FROM tasks WHERE state = 'queued' AND not_before > ?`)
    .get(ctx.now) as { at: number | null } | undefined;
  return row?.at ?? null;
}
