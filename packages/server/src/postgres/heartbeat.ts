/** Heartbeat: one statement extends every lease the worker still holds and names the others. */
import type { HeartbeatRequest, HeartbeatResponse } from '@bottle/protocol';
import { type PgContext, rows, touchWorker, touchWorkerSql } from './_context.js';

// $1 keys, $2 tokens, $3 new expiry, $4 worker, $5 now, $6 host. The rule is judgeLease's, in SQL.
const HEARTBEAT = `
WITH touched AS (
  ${touchWorkerSql('$4', '$6', '$5')}
), req AS (
  SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(key, lease_token, ord)
), extended AS (
  UPDATE tasks t SET lease_expires_at = $3
  FROM req WHERE t.key = req.key AND t.lease_token = req.lease_token AND t.state = 'running'
    AND t.worker_id = $4 AND t.lease_expires_at > $5
  RETURNING t.key
)
SELECT req.key, (e.key IS NOT NULL) AS extended,
  coalesce(t.state = 'cancelled' AND t.lease_token = req.lease_token, false) AS cancelled
FROM req LEFT JOIN (SELECT DISTINCT key FROM extended) e ON e.key = req.key
  LEFT JOIN tasks t ON t.key = req.key
ORDER BY req.ord`;

export async function heartbeat(ctx: PgContext, request: HeartbeatRequest): Promise<HeartbeatResponse> {
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const response: HeartbeatResponse = { extended: [], cancelled: [], lost: [], leaseExpiresAt };
  if (request.leases.length === 0) {
    await touchWorker(ctx, request.workerId, request.host);
    return response;
  }
  const result = await rows<{ key: string; extended: boolean; cancelled: boolean }>(ctx, HEARTBEAT, [
    request.leases.map((l) => l.key),
    request.leases.map((l) => l.leaseToken),
    leaseExpiresAt,
    request.workerId,
    ctx.now,
    request.host,
  ]);
  for (const row of result) {
    if (row.extended) response.extended.push(row.key);
    else if (row.cancelled) response.cancelled.push(row.key);
    else response.lost.push(row.key);
  }
  return response;
}
