/**
 * Report: a batch of outcomes in one transaction of two statements whatever its size: lock the
 * tasks (recording the worker), judge each lease and apply each transition (store/), then write
 * every task and every attempt. Reports on leases no longer valid cost one more read, for resends.
 */
import type { Report, ReportResult } from '@bottle/protocol';
import {
  judgeLease,
  judgeResend,
  LEASE_COLUMNS,
  type LeaseRow,
  missesUpload,
  type RecordedReport,
} from '../store/lease.js';
import { uploadFirst } from '../store/messages.js';
import { type ReportOutcome, reportDigest, reportTransition, resultJson } from '../store/transitions.js';
import { notifyWork, type PgContext, rows, touchWorkerSql } from './_context.js';
import { type Transition, writeTransitions } from './_write.js';

interface ReportRow extends LeaseRow {
  key: string;
}

const LOCK = `SELECT key, ${LEASE_COLUMNS} FROM tasks WHERE key = ANY($1::text[]) ORDER BY seq FOR UPDATE`;
// The same, recording that the worker was heard from ($2 worker, $3 now), in the same round trip.
const TOUCH_AND_LOCK = `WITH touched AS (${touchWorkerSql('$2', "''", '$3')}) ${LOCK}`;

const RECORDED = `SELECT a.task_seq AS seq, a.lease_token, a.outcome, a.report_digest AS digest
  FROM attempts a JOIN unnest($1::bigint[], $2::text[]) AS u(seq, token)
    ON a.task_seq = u.seq AND a.lease_token = u.token`;

/** A report refused for its lease, to be judged as a possible resend. */
interface Refused {
  i: number;
  seq: number;
  item: Report;
  digest: string;
}

export async function report(
  ctx: PgContext,
  workerId: string | undefined,
  reports: readonly Report[],
): Promise<ReportOutcome> {
  const { now, policy } = ctx;
  const keys = [...new Set(reports.map((r) => r.key))];
  const locked =
    workerId === undefined
      ? await rows<ReportRow>(ctx, LOCK, [keys])
      : await rows<ReportRow>(ctx, TOUCH_AND_LOCK, [keys, workerId, now]);
  const byKey = new Map(locked.map((row) => [row.key, row]));
  const transitions: Transition[] = [];
  const refused: Refused[] = [];
  const applied = reports.map(() => false);
  let wakes = false;
  const results = reports.map((item, i): ReportResult => {
    const result = resultJson(item);
    const check = judgeLease(byKey.get(item.key), item.key, item.leaseToken, workerId, now);
    if (!check.valid) {
      const stale: ReportResult = {
        key: item.key,
        ok: false,
        error: { code: check.error.code, message: check.error.message },
      };
      if (check.row) refused.push({ i, seq: check.row.seq, item, digest: reportDigest(item, result) });
      return stale;
    }
    const row = check.row;
    if (item.outcome === 'done' && missesUpload(policy, row, item.leaseToken)) {
      const { code, message } = uploadFirst(item.key);
      return { key: item.key, ok: false, error: { code, message } };
    }
    const { task, attempt } = reportTransition(row, item, now, policy, result);
    transitions.push({ seq: row.seq, attempt: row.attempt_count, task, end: attempt });
    // The locked row now reads as written, so that a second report of this lease is judged after it.
    Object.assign(row, task, { lease_expires_at: null });
    applied[i] = true;
    if (item.outcome !== 'done') wakes = true;
    return { key: item.key, ok: true };
  });
  await writeTransitions(ctx, transitions);
  // After the write: a second report of a lease in this batch is judged against the first.
  if (refused.length > 0) await judgeResends(ctx, refused, results);
  if (wakes) await notifyWork(ctx);
  return { results, applied };
}

/** Refused reports that resend what their lease recorded are answered ok; other ones on it, refused. */
async function judgeResends(
  ctx: PgContext,
  refused: readonly Refused[],
  results: ReportResult[],
): Promise<void> {
  const found = await rows<RecordedReport & { seq: number; lease_token: string }>(ctx, RECORDED, [
    refused.map((r) => r.seq),
    refused.map((r) => r.item.leaseToken),
  ]);
  const recorded = new Map(found.map((row) => [`${row.seq}/${row.lease_token}`, row]));
  for (const { i, seq, item, digest } of refused) {
    const verdict = judgeResend(recorded.get(`${seq}/${item.leaseToken}`), item, digest);
    if (verdict?.ok) results[i] = { key: item.key, ok: true };
    else if (verdict)
      results[i] = {
        key: item.key,
        ok: false,
        error: { code: verdict.error.code, message: verdict.error.message },
      };
  }
}
