/** Report: done, failed (retryable or not) or released, each checked against its lease. */
import type { Report, ReportResult } from '@bottle/protocol';
import { judgeResend, missesUpload, uploadedSql, validLeaseSql } from '../store/lease.js';
import { uploadFirst } from '../store/messages.js';
import type { QueuePolicy } from '../store/policy.js';
import {
  doneSet,
  type ReportOutcome,
  reportDigest,
  reportTransition,
  resultJson,
} from '../store/transitions.js';
import { endAttempt, type OpContext, touchWorker } from './_context.js';
import { checkLease, recordedAttempt } from './_lease.js';

/**
 * A `done` with a valid lease, the common case, is one UPDATE that checks the lease in its WHERE
 * (the lease rule and the done transition of store/, in SQL); only a refused one pays for the row
 * read that explains why. One statement with the worker named, one without; positional arguments
 * (result, now, now, key, token, now, worker?), the cheapest to bind.
 */
const complete = (policy: QueuePolicy, worker: boolean) => `UPDATE tasks SET ${doneSet('?', '?')}
  WHERE key = ? AND ${validLeaseSql({ token: '?', now: '?', ...(worker ? { worker: '?' } : {}) })}
    AND ${uploadedSql(policy)}
  RETURNING seq, attempt_count`;
// Built once: [requireUpload][worker named].
const COMPLETE = [false, true].map((requireUpload) =>
  [false, true].map((worker) => complete({ requireUpload } as QueuePolicy, worker)),
);

const WRITE = `UPDATE tasks SET state = @state, result = @result, error = @error, not_before = @not_before,
    charged = @charged, finished_at = @finished_at, lease_expires_at = NULL, updated_at = @now
  WHERE seq = @seq`;

export function report(
  ctx: OpContext,
  workerId: string | undefined,
  reports: readonly Report[],
): ReportOutcome {
  const applied: boolean[] = [];
  if (workerId !== undefined) touchWorker(ctx, workerId, undefined);
  const { now } = ctx;
  const completeSql = COMPLETE[ctx.policy.requireUpload ? 1 : 0]![workerId === undefined ? 0 : 1]!;
  const results = reports.map((item, i): ReportResult => {
    applied[i] = false;
    const result = resultJson(item);
    if (item.outcome === 'done') {
      const statement = ctx.stmt(completeSql);
      const done = (
        workerId === undefined
          ? statement.get(result, now, now, item.key, item.leaseToken, now)
          : statement.get(result, now, now, item.key, item.leaseToken, now, workerId)
      ) as { seq: number; attempt_count: number } | undefined;
      if (done) {
        const digest = reportDigest(item, result);
        endAttempt(ctx, done.seq, done.attempt_count, {
          outcome: 'done',
          error: null,
          ended_at: now,
          digest,
        });
        applied[i] = true;
        return { key: item.key, ok: true };
      }
    }
    const check = checkLease(ctx, item.key, item.leaseToken, workerId);
    if (!check.valid) {
      const recorded = check.row && recordedAttempt(ctx, check.row.seq, item.leaseToken);
      const resend = judgeResend(recorded, item, reportDigest(item, result));
      const refusal = resend?.ok === false ? resend.error : check.error;
      if (resend?.ok) return { key: item.key, ok: true };
      return { key: item.key, ok: false, error: { code: refusal.code, message: refusal.message } };
    }
    if (item.outcome === 'done' && missesUpload(ctx.policy, check.row, item.leaseToken)) {
      const { code, message } = uploadFirst(item.key);
      return { key: item.key, ok: false, error: { code, message } };
    }
    const { task, attempt } = reportTransition(check.row, item, now, ctx.policy, result);
    ctx.stmt(WRITE).run({ ...task, now, seq: check.row.seq });
    endAttempt(ctx, check.row.seq, check.row.attempt_count, attempt);
    applied[i] = true;
    return { key: item.key, ok: true };
  });
  return { results, applied };
}
