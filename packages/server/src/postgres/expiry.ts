/**
 * Expired leases, in one statement: the attempts become `lost`, each scan counts them, and the
 * tasks go back to the queue (front, not_before 0) or fail past their attempts. Rows another
 * server is updating are skipped (SKIP LOCKED): every server may sweep at once.
 */
import type { ExpiryResult } from '../store.js';
import { notifyWork, type PgContext, rows } from './_context.js';

const WHY = `'lease expired: worker ' || e.worker_id || ' on ' || e.host || ' stopped heartbeating'`;

const EXPIRE = `
WITH expired AS (
  SELECT seq, worker_id, host, lease_expires_at FROM tasks
  WHERE state = 'running' AND lease_expires_at <= $1
  ORDER BY seq FOR UPDATE SKIP LOCKED
), ended AS (
  UPDATE tasks t SET
    state = CASE WHEN t.charged >= t.max_attempts THEN 'failed' ELSE 'queued' END,
    not_before = CASE WHEN t.charged >= t.max_attempts THEN t.not_before ELSE 0 END,
    finished_at = CASE WHEN t.charged >= t.max_attempts THEN $1 ELSE t.finished_at END,
    error = CASE WHEN t.charged >= t.max_attempts
      THEN ${WHY} || ' (attempt ' || t.charged || ' of ' || t.max_attempts || ')' ELSE t.error END,
    lease_expires_at = NULL, updated_at = $1
  FROM expired e WHERE t.seq = e.seq
  RETURNING t.seq, t.scan, t.state, t.attempt_count, e.lease_expires_at AS expired_at, ${WHY} AS why
), lost AS (
  UPDATE attempts a SET outcome = 'lost', ended_at = x.expired_at, error = x.why
  FROM ended x WHERE a.task_seq = x.seq AND a.attempt = x.attempt_count
), counted AS (
  UPDATE scans s SET lost_attempts = s.lost_attempts + c.n
  FROM (SELECT scan, count(*) AS n FROM ended GROUP BY scan) c WHERE s.name = c.scan
)
SELECT count(*) FILTER (WHERE state = 'queued')::int AS requeued,
       count(*) FILTER (WHERE state = 'failed')::int AS failed
FROM ended`;

export async function expireLeases(ctx: PgContext): Promise<ExpiryResult> {
  const [result] = await rows<ExpiryResult>(ctx, EXPIRE, [ctx.now]);
  const out = result ?? { requeued: 0, failed: 0 };
  if (out.requeued > 0) await notifyWork(ctx);
  return out;
}

export async function nextReadyAt(ctx: PgContext): Promise<number | null> {
  const [row] = await rows<{ at: number | null }>(
    ctx,
    `SELECT min(not_before) AS at FROM tasks WHERE state = 'queued' AND not_before > $1`,
    [ctx.now],
  );
  return row?.at ?? null;
}
