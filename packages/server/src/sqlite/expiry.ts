/** Expired leases: each goes through the expiry transition of store/transitions.ts. */
import type { ExpiryResult } from '../store/store.js';
import { EXPIRING_COLUMNS, type ExpiringRow, expiryTransition } from '../store/transitions.js';
import { endAttempt, type OpContext } from './_context.js';

export function expireLeases(ctx: OpContext): ExpiryResult {
  const rows = ctx
    .stmt(`SELECT ${EXPIRING_COLUMNS} FROM tasks WHERE state = 'running' AND lease_expires_at <= ?`)
    .all(ctx.now) as ExpiringRow[];
  const result: ExpiryResult = { requeued: 0, failed: 0 };
  if (rows.length === 0) return result;
  const write = ctx.stmt(
    `UPDATE tasks SET state = @state, not_before = @not_before, error = @error, finished_at = @finished_at,
       lease_expires_at = NULL, updated_at = @now WHERE seq = @seq`,
  );
  const countLost = ctx.stmt('UPDATE scans SET lost_attempts = lost_attempts + 1 WHERE name = ?');
  for (const row of rows) {
    const { task, attempt } = expiryTransition(row, ctx.now);
    endAttempt(ctx, row.seq, row.attempt_count, attempt);
    countLost.run(row.scan);
    write.run({
      state: task.state,
      not_before: task.not_before,
      error: task.error,
      finished_at: task.finished_at,
      now: ctx.now,
      seq: row.seq,
    });
    if (task.state === 'failed') result.failed++;
    else result.requeued++;
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
