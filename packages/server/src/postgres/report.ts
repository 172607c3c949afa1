/**
 * Report: a batch of outcomes in one transaction of two statements whatever its size: lock the
 * tasks (recording the worker), judge each lease (judgeLease, the rule every store shares), then
 * write every task and every attempt.
 */
import type { Report, ReportResult } from '@bottle/protocol';
import { judgeLease, type LeaseRow } from '../sqlite/_lease.js';
import { backoffMs } from '../sqlite/report.js';
import { notifyWork, type PgContext, rows, touchWorkerSql } from './_context.js';

interface ReportRow extends LeaseRow {
  key: string;
  not_before: number;
  result: string | null;
  error: string | null;
  finished_at: number | null;
}

const LOCK_COLUMNS = `seq, key, state, worker_id, lease_token, lease_expires_at, attempt_count, charged,
  max_attempts, params_hash, upload_lease, not_before, result, error, finished_at`;
const LOCK = `SELECT ${LOCK_COLUMNS} FROM tasks WHERE key = ANY($1::text[]) ORDER BY seq FOR UPDATE`;
// The same, recording that the worker was heard from ($2 worker, $3 now), in the same round trip.
const TOUCH_AND_LOCK = `WITH touched AS (${touchWorkerSql('$2', "''", '$3')}) ${LOCK}`;

// Every task and every attempt of the batch, in one statement.
const WRITE = `WITH tasks_written AS (
  UPDATE tasks t SET state = u.state, result = u.result, error = u.error,
    not_before = u.not_before, charged = u.charged, finished_at = u.finished_at,
    lease_expires_at = NULL, updated_at = $7
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $8::bigint[])
    AS u(seq, state, result, error, not_before, charged, finished_at)
  WHERE t.seq = u.seq
)
UPDATE attempts a SET outcome = u.outcome, error = u.error, ended_at = $7
FROM unnest($9::bigint[], $10::int[], $11::text[], $12::text[]) AS u(seq, attempt, outcome, error)
WHERE a.task_seq = u.seq AND a.attempt = u.attempt`;

interface AttemptEnd {
  seq: number;
  attempt: number;
  outcome: 'done' | 'failed' | 'released';
  error: string | null;
}

export async function report(
  ctx: PgContext,
  workerId: string | undefined,
  reports: readonly Report[],
): Promise<ReportResult[]> {
  const { now, policy } = ctx;
  const keys = [...new Set(reports.map((r) => r.key))];
  const locked =
    workerId === undefined
      ? await rows<ReportRow>(ctx, LOCK, [keys])
      : await rows<ReportRow>(ctx, TOUCH_AND_LOCK, [keys, workerId, now]);
  const byKey = new Map(locked.map((row) => [row.key, row]));
  const changed = new Map<number, ReportRow>();
  const ended: AttemptEnd[] = [];
  let wakes = false;
  const results = reports.map((item): ReportResult => {
    const check = judgeLease(byKey.get(item.key), item.key, item.leaseToken, workerId, now);
    if (!check.valid) {
      return { key: item.key, ok: false, error: { code: check.error.code, message: check.error.message } };
    }
    const row = check.row as ReportRow;
    if (item.outcome === 'done' && policy.requireUpload && row.upload_lease !== item.leaseToken) {
      const message =
        `task ${item.key}: this server gathers outputs: upload the output first ` +
        '(PUT /v1/tasks/:key/output with this lease), then report it done';
      return { key: item.key, ok: false, error: { code: 'ERR_CONFLICT', message } };
    }
    // Applied to the locked row in memory, so that a second report of one lease in the batch is stale.
    apply(row, item, now, policy);
    row.lease_expires_at = null;
    changed.set(row.seq, row);
    ended.push({
      seq: row.seq,
      attempt: row.attempt_count,
      outcome: item.outcome,
      error: item.outcome === 'failed' ? item.error : null,
    });
    if (item.outcome !== 'done') wakes = true;
    return { key: item.key, ok: true };
  });
  if (changed.size > 0) {
    const tasks = [...changed.values()];
    await ctx.db.query(WRITE, [
      tasks.map((t) => t.seq),
      tasks.map((t) => t.state),
      tasks.map((t) => t.result),
      tasks.map((t) => t.error),
      tasks.map((t) => t.not_before),
      tasks.map((t) => t.charged),
      now,
      tasks.map((t) => t.finished_at),
      ended.map((e) => e.seq),
      ended.map((e) => e.attempt),
      ended.map((e) => e.outcome),
      ended.map((e) => e.error),
    ]);
  }
  if (wakes) await notifyWork(ctx);
  return results;
}

/** The same transitions as the SQLite store's report. */
function apply(row: ReportRow, item: Report, now: number, policy: PgContext['policy']): void {
  switch (item.outcome) {
    case 'done':
      row.state = 'done';
      row.result = item.result === undefined ? null : JSON.stringify(item.result);
      row.error = null;
      row.finished_at = now;
      return;
    case 'failed':
      row.error = item.error;
      if (item.retryable && row.charged < row.max_attempts) {
        row.state = 'queued';
        row.not_before = now + backoffMs(row.charged, policy.retryBackoffMs, policy.maxRetryBackoffMs);
      } else {
        row.state = 'failed';
        row.finished_at = now;
      }
      return;
    case 'released':
      // Giving a task back costs no attempt, and it goes to the front of the queue.
      row.state = 'queued';
      row.not_before = 0;
      row.charged -= 1;
      return;
  }
}
