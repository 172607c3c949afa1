/** Output uploads: the lease is checked before the body is read, and the commit is recorded after. */
import { judgeLease, LEASE_COLUMNS, type LeaseRow } from '../store/lease.js';
import { uploadRefused } from '../store/messages.js';
import { type PgContext, rows } from './_context.js';

async function validLease(ctx: PgContext, key: string, leaseToken: string, lock: boolean): Promise<LeaseRow> {
  const [row] = await rows<LeaseRow>(
    ctx,
    `SELECT ${LEASE_COLUMNS} FROM tasks WHERE key = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [key],
  );
  const check = judgeLease(row, key, leaseToken, undefined, ctx.now);
  if (!check.valid) throw uploadRefused(check.error);
  return check.row;
}

export async function beginUpload(
  ctx: PgContext,
  key: string,
  leaseToken: string,
): Promise<{ paramsHash: string }> {
  return { paramsHash: (await validLease(ctx, key, leaseToken, false)).params_hash };
}

/** In a transaction: the row stays locked from the check to the write. */
export async function recordUpload(
  ctx: PgContext,
  key: string,
  leaseToken: string,
  bytes: number,
): Promise<void> {
  const { seq, attempt_count: attempt } = await validLease(ctx, key, leaseToken, true);
  await ctx.db.query('UPDATE tasks SET upload_lease = $1, updated_at = $2 WHERE seq = $3', [
    leaseToken,
    ctx.now,
    seq,
  ]);
  await ctx.db.query(
    'UPDATE attempts SET uploaded_at = $1, upload_bytes = $2 WHERE task_seq = $3 AND attempt = $4',
    [ctx.now, bytes, seq, attempt],
  );
}
