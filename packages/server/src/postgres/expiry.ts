/**
 * Expired leases through the expiry transition of store/transitions.ts. A cheap read first: the
 * common sweep finds nothing and costs one statement. Otherwise one transaction locks the expired
 * rows, skipping those another server is updating (every server may sweep at once), and writes them.
 */
import type { ExpiryResult } from '../store/store.js';
import { EXPIRING_COLUMNS, type ExpiringRow, expiryTransition } from '../store/transitions.js';
import { notifyWork, type PgContext, rows } from './_context.js';
import { writeTransitions } from './_write.js';

const ANY_EXPIRED = `SELECT 1 FROM tasks WHERE state = 'running' AND lease_expires_at <= $1 LIMIT 1`;

const LOCK_EXPIRED = `SELECT ${EXPIRING_COLUMNS}
  FROM tasks WHERE state = 'running' AND lease_expires_at <= $1 ORDER BY seq FOR UPDATE SKIP LOCKED`;

const COUNT_LOST = `UPDATE scans s SET lost_attempts = s.lost_attempts + c.n
  FROM (SELECT scan, count(*) AS n FROM unnest($1::text[]) AS scan GROUP BY scan ORDER BY scan) c
  WHERE s.name = c.scan`;

export async function expireLeases(ctx: PgContext): Promise<ExpiryResult> {
  if ((await rows(ctx, ANY_EXPIRED, [ctx.now])).length === 0) return { requeued: 0, failed: 0 };
  return ctx.transaction(async (tx) => {
    const result: ExpiryResult = { requeued: 0, failed: 0 };
    const expired = await rows<ExpiringRow>(tx, LOCK_EXPIRED, [tx.now]);
    const transitions = expired.map((row) => {
      const { task, attempt } = expiryTransition(row, tx.now);
      if (task.state === 'failed') result.failed++;
      else result.requeued++;
      return { seq: row.seq, attempt: row.attempt_count, task, end: attempt };
    });
    await writeTransitions(tx, transitions);
    if (expired.length > 0) await tx.db.query(COUNT_LOST, [expired.map((row) => row.scan)]);
    if (result.requeued > 0) await notifyWork(tx);
    return result;
  });
}

export async function nextReadyAt(ctx: PgContext): Promise<number | null> {
  const [row] = await rows<{ at: number | null }>(
    ctx,
    `SELECT min(not_before) AS at FROM tasks WHERE state = 'queued' AND not_before > $1`,
    [ctx.now],
  );
  return row?.at ?? null;
}
