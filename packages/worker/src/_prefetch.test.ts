import { describe, expect, it } from 'vitest';
import { PrefetchPolicy } from './_prefetch.js';

describe('PrefetchPolicy', () => {
  it('leases nothing extra until a run time is known, then one per slot for short tasks', () => {
    const policy = new PrefetchPolicy('auto', 8);
    expect(policy.extra).toBe(0);
    policy.record(3);
    expect(policy.extra).toBe(8);
  });

  it('stops prefetching once tasks turn long, and starts again when they are short', () => {
    const policy = new PrefetchPolicy('auto', 4, 1_000);
    policy.record(10);
    for (let i = 0; i < 5; i++) policy.record(60_000);
    expect(policy.extra).toBe(0);
    for (let i = 0; i < 60; i++) policy.record(5);
    expect(policy.extra).toBe(4);
  });

  it('keeps a fixed number when one is given', () => {
    const policy = new PrefetchPolicy(2, 64);
    expect(policy.extra).toBe(2);
    policy.record(1);
    expect(policy.extra).toBe(2);
  });
});
