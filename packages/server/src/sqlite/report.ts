/** Report: done, failed (retryable or not) or released, each checked against its lease. */
import type { Report, ReportResult } from '@bottle/protocol';
import { endAttempt, type OpContext, touchWorker } from './_context.js';
import { checkLease, type LeaseRow } from './_lease.js';

/** Exponential: base, 2·base, 4·base... after the 1st, 2nd, 3rd failure; capped. */
export function backoffMs(failures: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, failures - 1));
}

/**
 * A `done` with a valid lease, the common case, is one UPDATE that checks the lease in its WHERE
 * (the rule of checkLease, in SQL); only a refused one pays for the row read that explains why.
 */
const COMPLETE = `UPDATE tasks SET state = 'done', result = ?, error = NULL, lease_expires_at = NULL,
    finished_at = ?, updated_at = ?
  WHERE key = ? AND lease_token = ? AND state = 'running' AND lease_expires_at > ?
    AND (? IS NULL OR worker_id = ?) AND (? = 0 OR upload_lease = lease_token)
  RETURNING seq, attempt_count`;

export function report(
  ctx: OpContext,
  workerId: string | undefined,
  reports: readonly Report[],
): ReportResult[] {
  if (workerId !== undefined) touchWorker(ctx, workerId, undefined);
  const { now } = ctx;
  const requireUpload = ctx.policy.requireUpload ? 1 : 0;
  const worker = workerId ?? null;
  return reports.map((item) => {
    if (item.outcome === 'done') {
      const result = item.result === undefined ? null : JSON.stringify(item.result);
      const done = ctx
        .stmt(COMPLETE)
        .get(result, now, now, item.key, item.leaseToken, now, worker, worker, requireUpload) as
        | { seq: number; attempt_count: number }
        | undefined;
      if (done) {
        endAttempt(ctx, done.seq, done.attempt_count, 'done', now);
        return { key: item.key, ok: true };
      }
    }
    const check = checkLease(ctx, item.key, item.leaseToken, workerId);
    if (!check.valid) {
      // A resend of what this lease already recorded (its answer was lost): the same success again.
      if (check.row && alreadyRecorded(ctx, check.row.seq, item)) return { key: item.key, ok: true };
      return { key: item.key, ok: false, error: { code: check.error.code, message: check.error.message } };
    }
    if (item.outcome === 'done' && ctx.policy.requireUpload && check.row.upload_lease !== item.leaseToken) {
      const message =
        `task ${item.key}: this server gathers outputs: upload the output first ` +
        '(PUT /v1/tasks/:key/output with this lease), then report it done';
      return { key: item.key, ok: false, error: { code: 'ERR_CONFLICT', message } };
    }
    apply(ctx, item, check.row);
    return { key: item.key, ok: true };
  });
}

function alreadyRecorded(ctx: OpContext, seq: number, item: Report): boolean {
  const attempt = ctx
    .stmt('SELECT outcome FROM attempts WHERE task_seq = ? AND lease_token = ?')
    .get(seq, item.leaseToken) as { outcome: string } | undefined;
  return attempt?.outcome === item.outcome;
}

function apply(ctx: OpContext, item: Report, row: LeaseRow): void {
  const { now } = ctx;
  switch (item.outcome) {
    case 'done':
      ctx
        .stmt(
          `UPDATE tasks SET state = 'done', result = ?, error = NULL, lease_expires_at = NULL,
             finished_at = ?, updated_at = ? WHERE seq = ?`,
        )
        .run(item.result === undefined ? null : JSON.stringify(item.result), now, now, row.seq);
      endAttempt(ctx, row.seq, row.attempt_count, 'done', now);
      return;
    case 'failed': {
      endAttempt(ctx, row.seq, row.attempt_count, 'failed', now, item.error);
      if (item.retryable && row.charged < row.max_attempts) {
        const { retryBackoffMs, maxRetryBackoffMs } = ctx.policy;
        const notBefore = now + backoffMs(row.charged, retryBackoffMs, maxRetryBackoffMs);
        ctx
          .stmt(
            `UPDATE tasks SET state = 'queued', not_before = ?, error = ?, lease_expires_at = NULL,
               updated_at = ? WHERE seq = ?`,
          )
          .run(notBefore, item.error, now, row.seq);
      } else {
        ctx
          .stmt(
            `UPDATE tasks SET state = 'failed', error = ?, lease_expires_at = NULL, finished_at = ?,
               updated_at = ? WHERE seq = ?`,
          )
          .run(item.error, now, now, row.seq);
      }
      return;
    }
    case 'released':
      // Giving a task back costs no attempt, and it goes to the front of the queue.
      endAttempt(ctx, row.seq, row.attempt_count, 'released', now);
      ctx
        .stmt(
          `UPDATE tasks SET state = 'queued', not_before = 0, charged = charged - 1, lease_expires_at = NULL,
             updated_at = ? WHERE seq = ?`,
        )
        .run(now, row.seq);
      return;
  }
}
