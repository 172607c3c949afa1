/** Claim: lease up to `max` ready tasks, in queue order, each with a fresh random lease token. */
import { randomUUID } from 'node:crypto';
import type { ClaimedTask, ClaimRequest, LegacyTask } from '@bottle/protocol';
import { declaredBy } from '../store/declared.js';
import { fittingShapes, offerOf } from '../store/fit.js';
import { QUEUE_ORDER } from '../store/queue-order.js';
import { type TaskRow, toClaimedTask, toLegacyTask } from '../store/rows.js';
import type { LegacyClaimant } from '../store/store.js';
import { type ScanRunTime, scansTooLong } from '../store/time-left.js';
import { declareWorker, type OpContext, touchWorker } from './_context.js';
import { CLAIM_COLUMNS, knownShapes, readFitting } from './claim-fit.js';
import { repeatClaim } from './claim-repeat.js';
import { expireLeases } from './expiry.js';
import { scanRunTimes } from './run-times.js';

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
  | 'shape'
>;

// Reads the partial index tasks_queue (tasks that ask nothing) in order and stops after LIMIT: no
// sort, no scan of the queue. Tasks with needs go only to claims they fit (claim-fit.ts).
export const SELECT_READY = `SELECT ${CLAIM_COLUMNS}
  FROM tasks WHERE state = 'queued' AND shape IS NULL AND not_before <= ? ORDER BY ${QUEUE_ORDER} LIMIT ?`;

// The same, skipping the task names a worker cannot run (its claim's `exclude`) and the scans whose
// tasks it has no time left for (JSON arrays).
const SELECT_READY_EXCLUDING = `SELECT ${CLAIM_COLUMNS}
  FROM tasks WHERE state = 'queued' AND shape IS NULL AND not_before <= ? AND task NOT IN (SELECT value FROM json_each(?))
    AND scan NOT IN (SELECT value FROM json_each(?))
  ORDER BY ${QUEUE_ORDER} LIMIT ?`;

function lease(
  ctx: OpContext,
  row: ReadyRow,
  workerId: string,
  host: string,
  state: 'running' | 'delivered',
  claimId: string | null = null,
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
      `INSERT INTO attempts (task_seq, attempt, worker_id, host, lease_token, outcome, started_at, ended_at,
                             claim_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(row.seq, attempt, workerId, host, leaseToken, state, ctx.now, running ? null : ctx.now, claimId);
  return { attempt, leaseToken, leaseExpiresAt };
}

/**
 * Serves each request in order from one read of the queue's head: the waiting claims of many workers
 * cost one transaction. Once a request gets less than its `max`, the queue is dry for the rest.
 */
export function claim(ctx: OpContext, requests: readonly ClaimRequest[]): ClaimedTask[][] {
  // Expiring first means a lease that ran out is handed out again even between timer sweeps.
  expireLeases(ctx);
  const heard = new Set<string>();
  const offers = requests.map(offerOf);
  const shapes = offers.some((offer) => offer !== null) ? knownShapes(ctx) : [];
  const fitting = requests.map((r, i) => {
    const offer = offers[i];
    return offer && shapes.length > 0 ? fittingShapes(shapes, offer, r.max) : [];
  });
  // Claims that exclude task names, or that tasks with needs fit, read the queue each for itself
  // (each sees the leases before it); the others share one read of the queue's head.
  const shared = requests.every(
    (r, i) => !r.exclude?.length && r.timeLeftMs === undefined && fitting[i]?.length === 0,
  );
  const wanted = shared ? requests.reduce((sum, r) => sum + r.max, 0) : 0;
  const rows = wanted > 0 ? (ctx.stmt(SELECT_READY).all(ctx.now, wanted) as ReadyRow[]) : [];
  let next = 0;
  return requests.map((request, i) => {
    if (!heard.has(request.workerId)) {
      heard.add(request.workerId);
      touchWorker(ctx, request.workerId, request.host);
      const declared = declaredBy(request);
      if (declared) declareWorker(ctx, request.workerId, declared);
    }
    // A claim repeated after a network error gets the leases its first answer carried, no new ones.
    const repeated = request.claimId === undefined ? undefined : repeatClaim(ctx, request);
    if (repeated) return repeated;
    let mine: ReadyRow[];
    if (shared) {
      mine = rows.slice(next, next + request.max);
      next += mine.length;
    } else {
      const tooLong = request.timeLeftMs === undefined ? [] : scansTooLong(runTimes(ctx), request.timeLeftMs);
      const fits = fitting[i] ?? [];
      const offer = offers[i];
      mine = (
        fits.length > 0 && offer
          ? readFitting(ctx, fits, offer, request.max, request.exclude ?? [], tooLong)
          : request.exclude?.length || tooLong.length
            ? ctx
                .stmt(SELECT_READY_EXCLUDING)
                .all(ctx.now, JSON.stringify(request.exclude ?? []), JSON.stringify(tooLong), request.max)
            : ctx.stmt(SELECT_READY).all(ctx.now, request.max)
      ) as ReadyRow[];
    }
    return mine.map((row) =>
      // The lease charges one more attempt.
      toClaimedTask(
        { ...row, charged: row.charged + 1 },
        lease(ctx, row, request.workerId, request.host, 'running', request.claimId),
      ),
    );
  });
}

function runTimes(ctx: OpContext): readonly ScanRunTime[] {
  return ctx.runTimes.fresh(ctx.now) ?? ctx.runTimes.store(ctx.now, scanRunTimes(ctx));
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
