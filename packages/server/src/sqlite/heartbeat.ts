/** Heartbeat: extend the leases a worker still holds; name those cancelled and those lost. */
import type { HeartbeatRequest, HeartbeatResponse } from '@bottle/protocol';
import { type OpContext, touchWorker } from './_context.js';
import { checkLease } from './_lease.js';

export function heartbeat(ctx: OpContext, request: HeartbeatRequest): HeartbeatResponse {
  touchWorker(ctx, request.workerId, request.host);
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const extend = ctx.stmt('UPDATE tasks SET lease_expires_at = ? WHERE seq = ?');
  const response: HeartbeatResponse = { extended: [], cancelled: [], lost: [], leaseExpiresAt };
  for (const { key, leaseToken } of request.leases) {
    const check = checkLease(ctx, key, leaseToken, request.workerId);
    if (check.valid) {
      extend.run(leaseExpiresAt, check.row.seq);
      response.extended.push(key);
    } else if (check.cancelled) {
      response.cancelled.push(key);
    } else {
      response.lost.push(key);
    }
  }
  return response;
}
