/** The queue policy: the figures every claim, report and expiry decides by, fixed when a store opens. */

/** The decisions a store makes on every claim, report and expiry: fixed when the store is opened. */
export interface QueuePolicy {
  /** Lease length granted by a claim and by each heartbeat. */
  leaseMs: number;
  /** Attempts before a task is `failed`, for tasks submitted without their own `maxAttempts`. */
  maxAttempts: number;
  /** Backoff after the n-th retryable failure: `retryBackoffMs * 2^(n-1)`, at most `maxRetryBackoffMs`. */
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  /** Outputs are gathered: a `done` report needs a committed upload from the same lease. */
  requireUpload?: boolean;
}

export const defaultQueuePolicy = {
  leaseMs: 30_000,
  maxAttempts: 3,
  retryBackoffMs: 1_000,
  maxRetryBackoffMs: 300_000,
  requireUpload: false,
} as const satisfies Required<QueuePolicy>;

/**
 * Merges `policy` over the defaults and checks it: a bad value is a TypeError naming the option.
 * Every Store resolves its policy here, so that the defaults and the rules exist once.
 */
export function resolveQueuePolicy(policy: Partial<QueuePolicy> = {}, who = 'Store'): Required<QueuePolicy> {
  if (typeof policy !== 'object' || policy === null) throw new TypeError(`${who}: policy must be an object`);
  for (const key of Object.keys(policy)) {
    if (!(key in defaultQueuePolicy)) throw new TypeError(`${who}: unknown policy option '${key}'`);
  }
  const merged = {
    ...defaultQueuePolicy,
    ...Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)),
  } as Required<QueuePolicy>;
  for (const key of ['leaseMs', 'maxAttempts', 'retryBackoffMs', 'maxRetryBackoffMs'] as const) {
    const value = merged[key];
    // A retry may follow at once (no backoff); every other figure must be positive.
    const least = key === 'retryBackoffMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
      const what = least === 0 ? 'an integer >= 0' : 'a positive integer';
      throw new TypeError(`${who}: option '${key}' must be ${what}, got ${String(value)}`);
    }
  }
  if (typeof merged.requireUpload !== 'boolean') {
    throw new TypeError(`${who}: option 'requireUpload' must be a boolean`);
  }
  return merged;
}

/** Exponential: base, 2·base, 4·base... after the 1st, 2nd, 3rd failure; capped. */
export function backoffMs(failures: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, failures - 1));
}
