import { describe, expect, it } from 'vitest';
import { contractStores } from './stores.js';

const stores = await contractStores();

describe.each(stores)('claim with exclude ($name)', ({ openStore }) => {
  it('never hands out the excluded task names, and a release of one charges no attempt', async () => {
    const store = await openStore();
    const tasks = [1, 2, 3].flatMap((n) => [
      { task: 'train', params: { n } },
      { task: 'plot', params: { n } },
    ]);
    await store.submit({ tasks });
    const claim = { workerId: 'w1', host: 'h', max: 10, waitMs: 0 };
    const first = (await store.claim([{ ...claim, max: 1 }]))[0]!;
    expect(first.map((t) => t.task)).toEqual(['train']);
    // The worker cannot run "train": it gives the task back and claims without it.
    const [released] = await store.report('w1', [
      { outcome: 'released', key: first[0]!.key, leaseToken: first[0]!.leaseToken },
    ]);
    expect(released?.ok).toBe(true);
    const rest = (await store.claim([{ ...claim, exclude: ['train', 'nosuch'] }]))[0]!;
    expect(rest.map((t) => t.task)).toEqual(['plot', 'plot', 'plot']);
    const other = (await store.claim([{ ...claim, workerId: 'w2' }]))[0]!;
    expect(other.map((t) => t.task)).toEqual(['train', 'train', 'train']);
    // The released task's second lease is attempt 2, but no attempt was charged against max attempts.
    const again = other.find((t) => t.key === first[0]!.key);
    expect(again?.attempt).toBe(2);
    expect((await store.getTask(first[0]!.key)).task.chargedAttempts).toBe(1);
    await store.close();
  });
});
