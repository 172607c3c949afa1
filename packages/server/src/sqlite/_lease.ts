/** The lease rule (store/lease.ts) on a row read from the tasks table. */
import { judgeLease, LEASE_COLUMNS, type LeaseCheck, type LeaseRow } from '../store/lease.js';
import type { OpContext } from './_context.js';

export function checkLease(
  ctx: OpContext,
  key: string,
  leaseToken: string,
  workerId: string | undefined,
): LeaseCheck {
  const row = ctx.stmt(`SELECT ${LEASE_COLUMNS} FROM tasks WHERE key = ?`).get(key) as LeaseRow | undefined;
  return judgeLease(row, key, leaseToken, workerId, ctx.now);
}

/** What the attempt of a lease recorded: its outcome and the digest of its report. */
export function recordedAttempt(
  ctx: OpContext,
  seq: number,
  leaseToken: string,
): { outcome: string; digest: string | null } | undefined {
  return ctx
    .stmt('SELECT outcome, report_digest AS digest FROM attempts WHERE task_seq = ? AND lease_token = ?')
    .get(seq, leaseToken) as { outcome: string; digest: string | null } | undefined;
}
