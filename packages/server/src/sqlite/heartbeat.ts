/** Heartbeat: extend the leases a worker still holds; name those cancelled, finished and lost. */
import type { HeartbeatRequest, HeartbeatResponse } from '@bottle/protocol';
import { heartbeatAnswer, takenBack, validLeaseSql } from '../store/lease.js';
import { type OpContext, touchWorker } from './_context.js';
import { recordedAttempt } from './_lease.js';

// The lease rule in the WHERE: a valid lease costs one statement; the others a read.
// Arguments: (expires, key, token, now, worker).
const EXTEND = `UPDATE tasks SET lease_expires_at = ?
  WHERE key = ? AND ${validLeaseSql({ token: '?', now: '?', worker: '?' })}`;

export function heartbeat(ctx: OpContext, request: HeartbeatRequest): HeartbeatResponse {
  touchWorker(ctx, request.workerId, request.host);
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const extend = ctx.stmt(EXTEND);
  const read = ctx.stmt('SELECT seq, state, lease_token FROM tasks WHERE key = ?');
  const response = heartbeatAnswer(leaseExpiresAt);
  for (const { key, leaseToken } of request.leases) {
    if (extend.run(leaseExpiresAt, key, leaseToken, ctx.now, request.workerId).changes > 0) {
      response.extended.push(key);
      continue;
    }
    const row = read.get(key) as { seq: number; state: string; lease_token: string | null } | undefined;
    const verdict = takenBack(row, leaseToken, row && recordedAttempt(ctx, row.seq, leaseToken)?.outcome);
    response[verdict].push(key);
  }
  return response;
}
