/**
 * Idempotent claims. A worker sends a fresh `claimId` with each claim and the same one again when
 * it repeats the claim after a network error (the server may have committed the leases, then
 * died or lost the connection before answering). The repeat is answered with the leases that claim
 * granted and that this worker still holds, renewed from now as by a heartbeat, and leases nothing
 * new: a lease whose answer was lost is delivered late instead of expiring as a lost attempt.
 */
import type { ClaimedTask, ClaimRequest } from '@bottle/protocol';
import { type TaskRow, toClaimedTask } from '../store/rows.js';
import type { OpContext } from './_context.js';

/** A task row with the attempt and lease that the claim granted. */
interface GrantedRow
  extends Pick<
    TaskRow,
    | 'seq'
    | 'key'
    | 'task'
    | 'params'
    | 'params_hash'
    | 'scan'
    | 'timeout_ms'
    | 'max_attempts'
    | 'charged'
    | 'shape'
  > {
  attempt: number;
  lease_token: string;
  /** 1 while the task is still running under this attempt's lease. */
  held: number;
}

const SELECT_GRANTED = `SELECT t.seq, t.key, t.task, t.params, t.params_hash, t.scan, t.timeout_ms,
    t.max_attempts, t.charged, t.shape, a.attempt,
    a.lease_token, (t.state = 'running' AND t.lease_token = a.lease_token) AS held
  FROM attempts a JOIN tasks t ON t.seq = a.task_seq
  WHERE a.claim_id = ? AND a.worker_id = ? ORDER BY a.id`;

/** The repeat's answer, or undefined when this claim id granted nothing yet (a new claim). */
export function repeatClaim(ctx: OpContext, request: ClaimRequest): ClaimedTask[] | undefined {
  const rows = ctx.stmt(SELECT_GRANTED).all(request.claimId, request.workerId) as GrantedRow[];
  if (rows.length === 0) return undefined;
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const renew = ctx.stmt('UPDATE tasks SET lease_expires_at = ?, updated_at = ? WHERE seq = ?');
  return rows
    .filter((row) => row.held === 1)
    .map((row) => {
      renew.run(leaseExpiresAt, ctx.now, row.seq);
      return toClaimedTask(row, { attempt: row.attempt, leaseToken: row.lease_token, leaseExpiresAt });
    });
}
