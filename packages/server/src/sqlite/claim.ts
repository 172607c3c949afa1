/** Claim: lease up to `max` ready tasks, in queue order, each with a fresh random lease token. */
import { randomUUID } from 'node:crypto';
import type { ClaimedTask, ClaimRequest, LegacyTask } from '@bottle/protocol';
import type { LegacyClaimant } from '../store.js';
import { type OpContext, touchWorker } from './_context.js';
import { type TaskRow, toClaimedTask, toLegacyTask } from './_rows.js';
import { expireLeases } from './expiry.js';

/** The columns SELECT_READY reads. */
type ReadyRow = Pick<
  TaskRow,
  | 'seq'
  | 'key'
  | 'task'
  | 'params'
  | 'params_hash'
  | 'scan'
  | 'attempt_count'
  | 'timeout_ms'
  | 'max_attempts'
  | 'charged'
>;

// Reads the partial index tasks_ready in order and stops after LIMIT: no sort, no scan of the queue.
export const SELECT_READY = `SELECT seq, key, task, params, params_hash, scan, attempt_count, timeout_ms,
  max_attempts, charged
  FROM tasks WHERE state = 'queued' AND not_before <= ? ORDER BY not_before, seq LIMIT ?`;

function lease(
  ctx: OpContext,
  row: ReadyRow,
  workerId: string,
  host: string,
  state: 'running' | 'delivered',
) {
  const attempt = row.attempt_count + 1;
  const leaseToken = randomUUID();
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  const running = state === 'running';
  ctx
    .stmt(
      `UPDATE tasks SET state = ?, attempt_count = ?, charged = charged + 1, worker_id = ?, host = ?,
         lease_token = ?, lease_expires_at = ?, started_at = ?, finished_at = ?, updated_at = ?
       WHERE seq = ?`,
    )
    .run(
      state,
      attempt,
      workerId,
      host,
      leaseToken,
      running ? leaseExpiresAt : null,
      ctx.now,
      running ? null : ctx.now,
      ctx.now,
      row.seq,
    );
  ctx
    .stmt(
      `INSERT INTO attempts (task_seq, attempt, worker_id, host, lease_token, outcome, started_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(row.seq, attempt, workerId, host, leaseToken, state, ctx.now, running ? null : ctx.now);
  return { attempt, leaseToken, leaseExpiresAt };
}

export function claim(ctx: OpContext, request: ClaimRequest): ClaimedTask[] {
  // Expiring first means a lease that ran out is handed out again even between timer sweeps.
  expireLeases(ctx);
  touchWorker(ctx, request.workerId, request.host);
  const rows = ctx.stmt(SELECT_READY).all(ctx.now, request.max) as ReadyRow[];
  return rows.map((row) =>
    // The lease charges one more attempt.
    toClaimedTask(
      { ...row, charged: row.charged + 1 },
      lease(ctx, row, request.workerId, request.host, 'running'),
    ),
  );
}

/**
 * The legacy protocol has no acknowledgement: the task is recorded as `delivered` for good
 * (never re-leased by expiry), with an attempt whose outcome is `delivered`.
 */
export function claimLegacy(ctx: OpContext, claimant: LegacyClaimant): LegacyTask | null {
  expireLeases(ctx);
  touchWorker(ctx, claimant.workerId, claimant.host);
  const row = ctx.stmt(SELECT_READY).get(ctx.now, 1) as ReadyRow | undefined;
  if (!row) return null;
  lease(ctx, row, claimant.workerId, claimant.host, 'delivered');
  return toLegacyTask(row);
}
