/** Output uploads: the lease is checked before the body is read, and the commit is recorded after. */
import { uploadRefused } from '../store/messages.js';
import type { OpContext } from './_context.js';
import { checkLease } from './_lease.js';

export function beginUpload(ctx: OpContext, key: string, leaseToken: string): { paramsHash: string } {
  const check = checkLease(ctx, key, leaseToken, undefined);
  if (!check.valid) throw uploadRefused(check.error);
  return { paramsHash: check.row.params_hash };
}

export function recordUpload(ctx: OpContext, key: string, leaseToken: string, bytes: number): void {
  const check = checkLease(ctx, key, leaseToken, undefined);
  if (!check.valid) throw uploadRefused(check.error);
  const { seq, attempt_count: attempt } = check.row;
  ctx.stmt('UPDATE tasks SET upload_lease = ?, updated_at = ? WHERE seq = ?').run(leaseToken, ctx.now, seq);
  ctx
    .stmt('UPDATE attempts SET uploaded_at = ?, upload_bytes = ? WHERE task_seq = ? AND attempt = ?')
    .run(ctx.now, bytes, seq, attempt);
}
