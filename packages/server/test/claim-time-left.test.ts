import { ManualClock } from '@bottle/test-utils';
import { describe, expect, it } from 'vitest';
import { RUN_TIMES_MAX_AGE_MS } from '../src/store/time-left.js';
import { contractStores } from './stores.js';

const stores = await contractStores();

describe.each(stores)('claim with the time the worker has left ($name)', ({ openStore }) => {
  it("hands out no task of a scan whose done tasks took longer than the time left; a scan's first tasks always go", async () => {
    const clock = new ManualClock();
    const store = await openStore({ leaseMs: 3_600_000 }, clock);
    const claim = { workerId: 'w1', host: 'h', waitMs: 0 };
    await store.submit({ scan: 'slow', tasks: [1, 2, 3].map((n) => ({ task: 't', params: { n } })) });
    await store.submit({ scan: 'quick', tasks: [1, 2, 3].map((n) => ({ task: 'q', params: { n } })) });
    // No run time is known yet: with little time left, the queue's head still goes out.
    const [first] = (await store.claim([{ ...claim, max: 1, timeLeftMs: 1 }]))[0]!;
    expect(first?.scan).toBe('slow');
    clock.advance(60_000);
    await store.report('w1', [{ outcome: 'done', key: first!.key, leaseToken: first!.leaseToken }]);
    const [next] = (await store.claim([{ ...claim, max: 1, exclude: [] }]))[0]!;
    expect(next?.scan).toBe('slow');
    await store.report('w1', [{ outcome: 'released', key: next!.key, leaseToken: next!.leaseToken }]);
    // The run times are read again only once the cached ones are old.
    clock.advance(RUN_TIMES_MAX_AGE_MS);
    // A slow task took 60 s: a worker with 30 s left gets quick ones, one with 2 min slow ones.
    const short = (await store.claim([{ ...claim, max: 10, timeLeftMs: 30_000 }]))[0]!;
    expect(short.map((t) => t.scan)).toEqual(['quick', 'quick', 'quick']);
    const long = (await store.claim([{ ...claim, workerId: 'w2', max: 10, timeLeftMs: 120_000 }]))[0]!;
    expect(long.map((t) => t.scan)).toEqual(['slow', 'slow']);
    await store.close();
  });
});
