/**
 * Heartbeat: one statement extends every lease the worker still holds (the lease rule of store/, in
 * SQL) and reads what the others need for their verdict (store/lease.ts takenBack).
 */
import type { HeartbeatRequest, HeartbeatResponse } from '@bottle/protocol';
import { heartbeatAnswer, takenBack, validLeaseSql } from '../store/lease.js';
import { type PgContext, rows, touchWorker, touchWorkerSql } from './_context.js';

// $1 keys, $2 tokens, $3 new expiry, $4 worker, $5 now, $6 host.
const HEARTBEAT = `
WITH touched AS (
  ${touchWorkerSql('$4', '$6', '$5')}
), req AS (
  SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(key, lease_token, ord)
), extended AS (
  UPDATE tasks t SET lease_expires_at = $3
  FROM req WHERE t.key = req.key AND ${validLeaseSql({ token: 'req.lease_token', now: '$5', worker: '$4', table: 't' })}
  RETURNING t.key
)
SELECT req.key, req.lease_token AS token, (e.key IS NOT NULL) AS extended, t.state, t.lease_token, a.outcome
FROM req LEFT JOIN (SELECT DISTINCT key FROM extended) e ON e.key = req.key
  LEFT JOIN tasks t ON t.key = req.key
  LEFT JOIN LATERAL (
    SELECT outcome FROM attempts WHERE task_seq = t.seq AND lease_token = req.lease_token LIMIT 1
  ) a ON e.key IS NULL
ORDER BY req.ord`;

interface BeatRow {
  key: string;
  token: string;
  extended: boolean;
  state: string | null;
  lease_token: string | null;
  outcome: string | null;
}

export async function heartbeat(ctx: PgContext, request: HeartbeatRequest): Promise<HeartbeatResponse> {
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const response = heartbeatAnswer(leaseExpiresAt);
  if (request.leases.length === 0) {
    await touchWorker(ctx, request.workerId, request.host);
    return response;
  }
  const result = await rows<BeatRow>(ctx, HEARTBEAT, [
    request.leases.map((l) => l.key),
    request.leases.map((l) => l.leaseToken),
    leaseExpiresAt,
    request.workerId,
    ctx.now,
    request.host,
  ]);
  for (const row of result) {
    if (row.extended) response.extended.push(row.key);
    else {
      const task = row.state === null ? undefined : { state: row.state, lease_token: row.lease_token };
      response[takenBack(task, row.token, row.outcome)].push(row.key);
    }
  }
  return response;
}
