/**
 * The state transitions of a leased task, as plain functions of the row before and the event: a
 * report (done, failed, released) and an expiry. Each store reads the row, calls these and writes the
 * columns they return; where a store does a transition in SQL for speed (SQLite's done, PostgreSQL's
 * expiry sweep), the SQL is built from the fragments here and `test/transitions.test.ts` holds both
 * stores to these functions.
 */
import { hash } from 'node:crypto';
import type { Report, ReportResult } from '@bottle/protocol';
import { expiredForGood, leaseExpired } from './messages.js';
import { backoffMs, type QueuePolicy } from './policy.js';

/** The columns of a task that a report or an expiry decides (besides lease_expires_at = NULL, updated_at). */
export interface TaskChange {
  state: 'done' | 'failed' | 'queued';
  result: string | null;
  error: string | null;
  not_before: number;
  charged: number;
  finished_at: number | null;
}

/** How the attempt ends. */
export interface AttemptEnd {
  outcome: 'done' | 'failed' | 'released' | 'lost' | 'cancelled';
  error: string | null;
  ended_at: number;
  /** What the report said (reportDigest), so that a resend can be told from another report. */
  digest: string | null;
}

export type TransitionRow = Pick<
  TaskChange,
  'result' | 'error' | 'not_before' | 'charged' | 'finished_at'
> & {
  max_attempts: number;
};

/** A batch's answers, and which reports changed their task (a resend or a refusal changes nothing). */
export interface ReportOutcome {
  results: ReportResult[];
  applied: boolean[];
}

/** The report as JSON text of its result (undefined and null are both stored as NULL). */
export function resultJson(item: Report): string | null {
  return item.outcome !== 'done' || item.result === undefined ? null : JSON.stringify(item.result);
}

/**
 * What a report says, in a few bytes: equal for a resend, different for any other report. Short
 * reports (a small result) are kept as they are, which costs no hash on the hot path; longer ones as
 * their SHA-256, which is longer than any kept as is.
 */
export function reportDigest(item: Report, result: string | null): string {
  const said =
    item.outcome === 'done'
      ? `done\n${result ?? 'null'}`
      : item.outcome === 'failed'
        ? `failed\n${item.retryable ? 1 : 0}\n${item.error}`
        : 'released';
  return said.length <= KEPT_AS_IS ? said : hash('sha256', said, 'base64');
}

/** Longest report digest kept as the report's own text (a SHA-256 in base64 is 44 characters). */
const KEPT_AS_IS = 40;

/**
 * done: finished with its result. failed: back in the queue after a backoff while attempts remain and
 * the failure is retryable, else failed for good. released: given back, uncharged, to the queue's front.
 */
export function reportTransition(
  row: TransitionRow,
  item: Report,
  now: number,
  policy: Pick<QueuePolicy, 'retryBackoffMs' | 'maxRetryBackoffMs'>,
  result = resultJson(item),
): { task: TaskChange; attempt: AttemptEnd } {
  const digest = reportDigest(item, result);
  const { not_before, charged } = row;
  switch (item.outcome) {
    case 'done':
      return {
        task: { state: 'done', result, error: null, not_before, charged, finished_at: now },
        attempt: { outcome: 'done', error: null, ended_at: now, digest },
      };
    case 'failed': {
      const attempt: AttemptEnd = { outcome: 'failed', error: item.error, ended_at: now, digest };
      if (item.retryable && row.charged < row.max_attempts) {
        const ready = now + backoffMs(row.charged, policy.retryBackoffMs, policy.maxRetryBackoffMs);
        return { task: pick({ ...row, state: 'queued', error: item.error, not_before: ready }), attempt };
      }
      return { task: pick({ ...row, state: 'failed', error: item.error, finished_at: now }), attempt };
    }
    case 'released':
      // Giving a task back costs no attempt, and it goes to the front of the queue.
      return {
        task: pick({ ...row, state: 'queued', not_before: 0, charged: row.charged - 1 }),
        attempt: { outcome: 'released', error: null, ended_at: now, digest },
      };
  }
}

/** A running task whose lease ran out, as the stores read it for expiryTransition. */
export type ExpiringRow = TransitionRow & {
  seq: number;
  scan: string;
  attempt_count: number;
  worker_id: string;
  host: string;
  lease_expires_at: number;
};

/** The columns of ExpiringRow. */
export const EXPIRING_COLUMNS = `seq, scan, charged, max_attempts, attempt_count, worker_id, host,
  lease_expires_at, not_before, result, error, finished_at`;

/**
 * A lease that ran out: the attempt is `lost` (ended when the lease did); the task goes back to the
 * queue's front, or fails for good once its attempts are used up.
 */
export function expiryTransition(
  row: Omit<ExpiringRow, 'seq' | 'scan' | 'attempt_count'>,
  now: number,
): { task: TaskChange; attempt: AttemptEnd } {
  const why = leaseExpired(row.worker_id, row.host);
  const attempt: AttemptEnd = { outcome: 'lost', error: why, ended_at: row.lease_expires_at, digest: null };
  if (row.charged >= row.max_attempts) {
    const error = expiredForGood(why, row.charged, row.max_attempts);
    return { task: pick({ ...row, state: 'failed', error, finished_at: now }), attempt };
  }
  return { task: pick({ ...row, state: 'queued', not_before: 0 }), attempt };
}

function pick(row: TransitionRow & { state: TaskChange['state'] }): TaskChange {
  const { state, result, error, not_before, charged, finished_at } = row;
  return { state, result, error, not_before, charged, finished_at };
}

/** States a rerun may leave: everything that is not waiting or running. */
export const FINISHED_STATES = "('done', 'failed', 'cancelled', 'delivered')";

/** The states `rerunScan` requeues: failed and cancelled ones, or every finished one. */
export function rerunStates(only: 'failed' | 'all'): string {
  return only === 'all' ? FINISHED_STATES : "('failed', 'cancelled')";
}

/**
 * The SET clause of a rerun, with `now` the placeholder of the store's dialect: a rerun starts afresh,
 * with a full attempt budget, no result and no error. The attempts stay in history.
 */
export function requeueSet(now: string): string {
  return `state = 'queued', charged = 0, not_before = ${now}, updated_at = ${now}, worker_id = NULL,
    host = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL, finished_at = NULL,
    result = NULL, error = NULL`;
}

/**
 * The SET clause of a done report (reportTransition's done, in SQL) for the statement that checks the
 * lease in its WHERE: the common report costs one statement.
 */
export function doneSet(result: string, now: string): string {
  return `state = 'done', result = ${result}, error = NULL, lease_expires_at = NULL, finished_at = ${now},
    updated_at = ${now}`;
}

/** The cancellation of a queued or running task; the lease token stays, so a heartbeat learns of it. */
export function cancelSet(now: string): string {
  return `state = 'cancelled', lease_expires_at = NULL, finished_at = ${now}, updated_at = ${now}`;
}
