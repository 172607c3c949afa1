/** Checking that a lease is still valid: the one rule that heartbeat and report share. */
import { BottleError } from '@bottle/protocol';
import type { OpContext } from './_context.js';

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
}

export type LeaseCheck =
  | { valid: true; row: LeaseRow }
  | { valid: false; row: LeaseRow | undefined; cancelled: boolean; error: BottleError };

/**
 * A lease is valid while its task is running under that token (and that worker, when one is
 * named) and its expiry lies ahead. An expired lease not yet swept by the timer is already stale.
 */
export function checkLease(
  ctx: OpContext,
  key: string,
  leaseToken: string,
  workerId: string | undefined,
): LeaseCheck {
  const row = ctx
    .stmt(
      `SELECT seq, state, worker_id, lease_token, lease_expires_at, attempt_count, charged, max_attempts,
         params_hash, upload_lease
       FROM tasks WHERE key = ?`,
    )
    .get(key) as LeaseRow | undefined;
  return judgeLease(row, key, leaseToken, workerId, ctx.now);
}

/** The rule itself, on a row already read (every store shares it). */
export function judgeLease(
  row: LeaseRow | undefined,
  key: string,
  leaseToken: string,
  workerId: string | undefined,
  now: number,
): LeaseCheck {
  if (!row) {
    return {
      valid: false,
      row,
      cancelled: false,
      error: new BottleError('ERR_NOT_FOUND', `no task has key ${key}`),
    };
  }
  const sameToken = row.lease_token === leaseToken;
  if (sameToken && row.state === 'cancelled') {
    return { valid: false, row, cancelled: true, error: stale(key, 'it was cancelled by an operator') };
  }
  if (!sameToken || row.state !== 'running') {
    return { valid: false, row, cancelled: false, error: stale(key, 'the lease is no longer yours') };
  }
  if (workerId !== undefined && row.worker_id !== workerId) {
    return {
      valid: false,
      row,
      cancelled: false,
      error: stale(key, `the lease belongs to ${row.worker_id}`),
    };
  }
  if ((row.lease_expires_at ?? 0) <= now) {
    return { valid: false, row, cancelled: false, error: stale(key, 'the lease expired') };
  }
  return { valid: true, row };
}

function stale(key: string, why: string): BottleError {
  return new BottleError(
    'ERR_STALE_LEASE',
    `task ${key}: ${why}; the report was not recorded (the task is or will be handed out again)`,
  );
}
