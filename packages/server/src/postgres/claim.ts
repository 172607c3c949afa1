/**
 * Claim: lease up to `max` ready tasks in queue order, in one statement. `FOR UPDATE SKIP LOCKED`
 * lets servers claim side by side: each takes rows no other claim holds, and none waits.
 * Idempotent claims as in SQLite (sqlite/claim-repeat.ts): a claim id that already granted leases
 * to this worker leases nothing new, and is answered with the leases it granted and still holds.
 */
import type { ClaimedTask, ClaimRequest, LegacyTask } from '@bottle/protocol';
import { QUEUE_ORDER } from '../store/queue-order.js';
import { type TaskRow, toClaimedTask, toLegacyTask } from '../store/rows.js';
import type { LegacyClaimant } from '../store/store.js';
import { type ScanRunTime, scansTooLong } from '../store/time-left.js';
import { type PgContext, rows, touchWorkerSql } from './_context.js';
import { expireLeases } from './expiry.js';

interface LeasedRow {
  key: string;
  task: string;
  params: string;
  params_hash: string;
  scan: string;
  attempt_count: number;
  timeout_ms: number | null;
  max_attempts: number;
  charged: number;
  lease_token: string;
}

// $1 now, $2 max, $3 worker, $4 host, $5 state, $6 lease expiry (null when delivered for good),
// $7 task names the worker cannot run (claim `exclude`), $8 the claim id (null for none), $9 the
// scans whose tasks the worker has no time left for.
export const CLAIM = `
WITH ready AS (
  SELECT seq FROM tasks WHERE state = 'queued' AND not_before <= $1 AND NOT (task = ANY($7::text[]))
    AND NOT (scan = ANY($9::text[]))
    AND NOT EXISTS (SELECT 1 FROM attempts WHERE claim_id = $8::text AND worker_id = $3)
  ORDER BY ${QUEUE_ORDER} LIMIT $2 FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE tasks t SET state = $5, attempt_count = t.attempt_count + 1, charged = t.charged + 1,
    worker_id = $3, host = $4, lease_token = gen_random_uuid()::text, lease_expires_at = $6,
    started_at = $1, finished_at = CASE WHEN $5 = 'running' THEN NULL ELSE $1::bigint END, updated_at = $1
  FROM ready WHERE t.seq = ready.seq
  RETURNING t.seq, t.key, t.task, t.params, t.params_hash, t.scan, t.attempt_count, t.timeout_ms,
    t.max_attempts, t.charged, t.lease_token, t.not_before, t.priority
), recorded AS (
  INSERT INTO attempts (task_seq, attempt, worker_id, host, lease_token, outcome, started_at, ended_at, claim_id)
  SELECT seq, attempt_count, $3, $4, lease_token, $5, $1,
    CASE WHEN $5 = 'running' THEN NULL ELSE $1::bigint END, $8 FROM leased
), touched AS (
  ${touchWorkerSql('$3', '$4', '$1')}
)
SELECT * FROM leased ORDER BY ${QUEUE_ORDER}`;

/** The leases a claim id granted to this worker that it still holds, renewed from now ($3 expiry, $4 now). */
const REPEAT = `
WITH granted AS (
  SELECT t.seq, a.attempt, a.lease_token FROM attempts a JOIN tasks t ON t.seq = a.task_seq
  WHERE a.claim_id = $1 AND a.worker_id = $2 AND t.state = 'running' AND t.lease_token = a.lease_token
  ORDER BY t.seq FOR UPDATE OF t
), renewed AS (
  UPDATE tasks t SET lease_expires_at = $3, updated_at = $4 FROM granted g WHERE t.seq = g.seq
  RETURNING t.seq, t.not_before, t.key, t.task, t.params, t.params_hash, t.scan, t.timeout_ms,
    t.max_attempts, t.charged, t.lease_token, g.attempt
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
): Promise<LeasedRow[]> {
  // Expiring first hands out a lease that ran out even between timer sweeps.
  await expireLeases(ctx);
  const expiresAt = state === 'running' ? ctx.now + ctx.policy.leaseMs : null;
  const tooLong = timeLeftMs === undefined ? [] : scansTooLong(await runTimes(ctx), timeLeftMs);
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
  const leased = await lease(ctx, max, workerId, host, 'running', exclude, claimId, timeLeftMs);
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
