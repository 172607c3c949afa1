/**
 * The lease rule: a report, heartbeat or upload counts only on the task's valid lease. Stated once
 * here in both the forms the stores use: `judgeLease` on a row already read, and `validLeaseSql` for
 * the statements that check it in their WHERE (a valid lease, the common case, costs one statement).
 * `test/lease-rule.test.ts` holds the two forms equal on both backends.
 */
import type { BottleError, HeartbeatResponse, Report } from '@bottle/protocol';
import { alreadyReported, staleLease, taskNotFound } from './messages.js';
import type { QueuePolicy } from './policy.js';

export interface LeaseRow {
  seq: number;
  state: string;
  worker_id: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  attempt_count: number;
  charged: number;
  max_attempts: number;
  params_hash: string;
  /** The lease token whose output upload was committed, if any. */
  upload_lease: string | null;
  /** The columns a transition keeps when it does not set them (store/transitions.ts). */
  not_before: number;
  result: string | null;
  error: string | null;
  finished_at: number | null;
}

/** The columns of LeaseRow, for the stores' SELECTs. */
export const LEASE_COLUMNS = `seq, state, worker_id, lease_token, lease_expires_at, attempt_count, charged,
  max_attempts, params_hash, upload_lease, not_before, result, error, finished_at`;

export type LeaseCheck =
  | { valid: true; row: LeaseRow }
  | { valid: false; row: LeaseRow | undefined; cancelled: boolean; error: BottleError };

/**
 * A lease is valid while its task is running under that token (and that worker, when one is
 * named) and its expiry lies ahead. An expired lease not yet swept by the timer is already stale.
 */
export function judgeLease(
  row: LeaseRow | undefined,
  key: string,
  leaseToken: string,
  workerId: string | undefined,
  now: number,
): LeaseCheck {
  if (!row) return { valid: false, row, cancelled: false, error: taskNotFound(key) };
  const sameToken = row.lease_token === leaseToken;
  if (sameToken && row.state === 'cancelled') {
    return { valid: false, row, cancelled: true, error: staleLease(key, 'it was cancelled by an operator') };
  }
  if (!sameToken || row.state !== 'running') {
    return { valid: false, row, cancelled: false, error: staleLease(key, 'the lease is no longer yours') };
  }
  if (workerId !== undefined && row.worker_id !== workerId) {
    return {
      valid: false,
      row,
      cancelled: false,
      error: staleLease(key, `the lease belongs to ${row.worker_id}`),
    };
  }
  if ((row.lease_expires_at ?? 0) <= now) {
    return { valid: false, row, cancelled: false, error: staleLease(key, 'the lease expired') };
  }
  return { valid: true, row };
}

/**
 * judgeLease's rule as a WHERE clause over the tasks table: each argument is the placeholder (or
 * expression) of the store's dialect; `worker` is left out when the report names no worker.
 */
export function validLeaseSql(at: { token: string; now: string; worker?: string; table?: string }): string {
  const t = at.table ? `${at.table}.` : '';
  const worker = at.worker === undefined ? '' : ` AND ${t}worker_id = ${at.worker}`;
  return `${t}lease_token = ${at.token} AND ${t}state = 'running' AND ${t}lease_expires_at > ${at.now}${worker}`;
}

/** With outputs gathered, a `done` needs the upload of the same lease. */
export function missesUpload(policy: QueuePolicy, row: Pick<LeaseRow, 'upload_lease'>, leaseToken: string) {
  return policy.requireUpload === true && row.upload_lease !== leaseToken;
}

/** The same rule as a WHERE clause over a row whose lease is valid (`lease_token` is the report's). */
export function uploadedSql(policy: QueuePolicy): string {
  return policy.requireUpload === true ? 'upload_lease = lease_token' : '1 = 1';
}

/** Outcomes by which a lease ended its own attempt (a report); `lost` and `cancelled` were done to it. */
const ENDED_BY_ITS_REPORT = new Set(['done', 'failed', 'released']);

/** A heartbeat's answer before its leases are sorted into it. */
export function heartbeatAnswer(leaseExpiresAt: number): Required<HeartbeatResponse> {
  return { extended: [], cancelled: [], finished: [], lost: [], leaseExpiresAt };
}

/** What a heartbeat answers for a lease it could not extend. */
export type TakenBack = 'cancelled' | 'finished' | 'lost';

/**
 * Cancelled: an operator cancelled the task under this lease. Finished: the lease's own report ended
 * its attempt (the report and the heartbeat crossed): nothing was taken from the worker. Lost:
 * another worker, an expiry or a rerun took it.
 */
export function takenBack(
  row: Pick<LeaseRow, 'state' | 'lease_token'> | undefined,
  leaseToken: string,
  attemptOutcome: string | null | undefined,
): TakenBack {
  if (row && row.lease_token === leaseToken && row.state === 'cancelled') return 'cancelled';
  if (attemptOutcome && ENDED_BY_ITS_REPORT.has(attemptOutcome)) return 'finished';
  return 'lost';
}

/** What the attempt of a lease recorded of its report (`digest` null for reports before it was kept). */
export interface RecordedReport {
  outcome: string;
  digest: string | null;
}

/**
 * A report on a lease that is no longer valid: a resend of the report that lease recorded (its answer
 * was lost) is the same success again; another report on that lease is refused, not dropped.
 * Undefined when the lease recorded no report: the stale-lease refusal stands.
 */
export function judgeResend(
  recorded: RecordedReport | undefined,
  item: Report,
  digest: string,
): { ok: true } | { ok: false; error: BottleError } | undefined {
  if (!recorded || !ENDED_BY_ITS_REPORT.has(recorded.outcome)) return undefined;
  const same = recorded.outcome === item.outcome && (recorded.digest === null || recorded.digest === digest);
  return same ? { ok: true } : { ok: false, error: alreadyReported(item.key, recorded.outcome) };
}
