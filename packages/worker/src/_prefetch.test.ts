import { describe, expect, it } from 'vitest';
import { PrefetchPolicy } from './_prefetch.js';

describe('PrefetchPolicy', () => {
  it('leases nothing extra until a run time is known, then enough short tasks for 50 ms per slot', () => {
    const policy = new PrefetchPolicy('auto', 8);
    expect(policy.extra).toBe(0);
    policy.record(10);
    expect(policy.extra).toBe(8 * 5);
    const capped = new PrefetchPolicy('auto', 8);
    capped.record(0);
    expect(capped.extra).toBe(992);
  });

  it('leases one extra per slot for tasks of a few hundred milliseconds', () => {
    const policy = new PrefetchPolicy('auto', 3);
    policy.record(400);
    expect(policy.extra).toBe(3);
  });

  it('stops prefetching once tasks turn long, and starts again when they are short', () => {
    const policy = new PrefetchPolicy('auto', 4, { shortTaskMs: 1_000 });
    policy.record(10);
    for (let i = 0; i < 5; i++) policy.record(60_000);
    expect(policy.extra).toBe(0);
    for (let i = 0; i < 60; i++) policy.record(50);
    expect(policy.extra).toBe(4);
  });

  it('keeps a fixed number when one is given', () => {
    const policy = new PrefetchPolicy(2, 64);
    expect(policy.extra).toBe(2);
    policy.record(1);
    expect(policy.extra).toBe(2);
  });
});
