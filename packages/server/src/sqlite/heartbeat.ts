/** Heartbeat: extend the leases a worker still holds; name those cancelled and those lost. */
import type { HeartbeatRequest, HeartbeatResponse } from '@bottle/protocol';
import { type OpContext, touchWorker } from './_context.js';
import { checkLease } from './_lease.js';

export function heartbeat(ctx: OpContext, request: HeartbeatRequest): HeartbeatResponse {
  touchWorker(ctx, request.workerId, request.host);
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  // The lease rule of checkLease in the WHERE: a valid lease costs one statement; the others a read.
  const extend = ctx.stmt(
    `UPDATE tasks SET lease_expires_at = ? WHERE key = ? AND lease_token = ? AND state = 'running'
       AND worker_id = ? AND lease_expires_at > ?`,
  );
  const response: HeartbeatResponse = { extended: [], cancelled: [], lost: [], leaseExpiresAt };
  for (const { key, leaseToken } of request.leases) {
    if (extend.run(leaseExpiresAt, key, leaseToken, request.workerId, ctx.now).changes > 0) {
      response.extended.push(key);
      continue;
    }
    const check = checkLease(ctx, key, leaseToken, request.workerId);
    if (!check.valid && check.cancelled) {
      response.cancelled.push(key);
    } else {
      response.lost.push(key);
    }
  }
  return response;
}
