/**
 * Claim: lease up to `max` ready tasks in queue order, in one statement (a worker that tasks with
 * needs fit: in one transaction, see claim-fit.ts). `FOR UPDATE SKIP LOCKED`
 * lets servers claim side by side: each takes rows no other claim holds, and none waits.
 * Idempotent claims as in SQLite (sqlite/claim-repeat.ts): a claim id that already granted leases
 * to this worker leases nothing new, and is answered with the leases it granted and still holds.
 */
import type { ClaimedTask, ClaimRequest, LegacyTask } from '@bottle/protocol';
import { declaredBy } from '../store/declared.js';
import { fittingShapes, type Offer, offerOf } from '../store/fit.js';
import { QUEUE_ORDER } from '../store/queue-order.js';
import { type TaskRow, toClaimedTask, toLegacyTask } from '../store/rows.js';
import type { LegacyClaimant } from '../store/store.js';
import { type ScanRunTime, scansTooLong } from '../store/time-left.js';
import { type PgContext, rows } from './_context.js';
import { type LeasedRow, leaseReady, READY } from './_lease-sql.js';
import { declareWorker, knownShapes, leaseFitting } from './claim-fit.js';
import { expireLeases } from './expiry.js';

// $2 max. Tasks that ask nothing, through tasks_queue; tasks with needs go only to claims they fit
// (claim-fit.ts).
export const CLAIM = leaseReady(
  `SELECT seq FROM tasks WHERE ${READY} AND shape IS NULL ORDER BY ${QUEUE_ORDER} LIMIT $2 FOR UPDATE SKIP LOCKED`,
);

/** The leases a claim id granted to this worker that it still holds, renewed from now ($3 expiry, $4 now). */
const REPEAT = `
WITH granted AS (
  SELECT t.seq, a.attempt, a.lease_token FROM attempts a JOIN tasks t ON t.seq = a.task_seq
  WHERE a.claim_id = $1 AND a.worker_id = $2 AND t.state = 'running' AND t.lease_token = a.lease_token
  ORDER BY t.seq FOR UPDATE OF t
), renewed AS (
  UPDATE tasks t SET lease_expires_at = $3, updated_at = $4 FROM granted g WHERE t.seq = g.seq
  RETURNING t.seq, t.not_before, t.key, t.task, t.params, t.params_hash, t.scan, t.timeout_ms,
    t.max_attempts, t.charged, t.lease_token, t.shape, g.attempt
)
SELECT * FROM renewed ORDER BY not_before, seq`;

async function lease(
  ctx: PgContext,
  max: number,
  workerId: string,
  host: string,
  state: 'running' | 'delivered',
  exclude: readonly string[] = [],
  claimId: string | null = null,
  timeLeftMs?: number,
  offer: Offer | null = null,
): Promise<LeasedRow[]> {
  // Expiring first hands out a lease that ran out even between timer sweeps.
  await expireLeases(ctx);
  const expiresAt = state === 'running' ? ctx.now + ctx.policy.leaseMs : null;
  const tooLong = timeLeftMs === undefined ? [] : scansTooLong(await runTimes(ctx), timeLeftMs);
  const fitting = offer ? fittingShapes(await knownShapes(ctx), offer, max) : [];
  if (offer && fitting.length > 0) {
    const args = { max, workerId, host, state, expiresAt, exclude, claimId, tooLong };
    return ctx.transaction((tx) => leaseFitting(tx, fitting, offer, args));
  }
  return rows<LeasedRow>(ctx, CLAIM, [
    ctx.now,
    max,
    workerId,
    host,
    state,
    expiresAt,
    exclude,
    claimId,
    tooLong,
  ]);
}

const RUN_TIMES = `SELECT scan, AVG(finished_at - started_at)::float8 AS "meanMs" FROM tasks
  WHERE state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY scan`;

async function runTimes(ctx: PgContext): Promise<readonly ScanRunTime[]> {
  return ctx.runTimes.fresh(ctx.now) ?? ctx.runTimes.store(ctx.now, await rows<ScanRunTime>(ctx, RUN_TIMES));
}

export async function claim(ctx: PgContext, request: ClaimRequest): Promise<ClaimedTask[]> {
  const claimId = request.claimId ?? null;
  const { max, workerId, host, exclude, timeLeftMs } = request;
  const declared = declaredBy(request);
  if (declared && ctx.declared.changed(workerId, declared))
    await declareWorker(ctx, workerId, host, declared);
  const offer = offerOf(request);
  const leased = await lease(ctx, max, workerId, host, 'running', exclude, claimId, timeLeftMs, offer);
  const leaseExpiresAt = ctx.now + ctx.policy.leaseMs;
  // Nothing leased: the queue is dry, or this claim id granted leases already (a repeat).
  if (leased.length === 0 && claimId !== null) {
    const granted = await rows<GrantedRow>(ctx, REPEAT, [claimId, workerId, leaseExpiresAt, ctx.now]);
    return granted.map((row) =>
      toClaimedTask(row, { attempt: row.attempt, leaseToken: row.lease_token, leaseExpiresAt }),
    );
  }
  return leased.map((row) =>
    toClaimedTask(row, { attempt: row.attempt_count, leaseToken: row.lease_token, leaseExpiresAt }),
  );
}

type GrantedRow = Pick<
  TaskRow,
  'key' | 'task' | 'params' | 'params_hash' | 'scan' | 'timeout_ms' | 'max_attempts' | 'charged'
> & { attempt: number; lease_token: string };

/** The legacy protocol has no acknowledgement: the task is `delivered` for good. */
export async function claimLegacy(ctx: PgContext, claimant: LegacyClaimant): Promise<LegacyTask | null> {
  const [row] = await lease(ctx, 1, claimant.workerId, claimant.host, 'delivered');
  return row ? toLegacyTask(row) : null;
}
