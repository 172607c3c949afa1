import { describe, expect, it } from 'vitest';
import { contractStores } from './stores.js';

const stores = await contractStores();

describe.each(stores)("the Slurm allocator's owned jobs ($name)", ({ openStore, reopen }) => {
  it('are kept across a reopen (a restarted server), recorded once, and forgotten by id', async () => {
    const store = await openStore();
    expect(await store.listOwnedJobs()).toEqual([]);
    await store.recordOwnedJob({ jobId: '12', workers: 2, submittedAt: 1_000 });
    await store.recordOwnedJob({ jobId: '15', workers: 1, submittedAt: 2_000 });
    await store.recordOwnedJob({ jobId: '12', workers: 9, submittedAt: 3_000 });
    await store.close();
    const again = await reopen(store);
    expect(await again.listOwnedJobs()).toEqual([
      { jobId: '12', workers: 2, submittedAt: 1_000 },
      { jobId: '15', workers: 1, submittedAt: 2_000 },
    ]);
    await again.forgetOwnedJobs(['12', '99']);
    expect(await again.listOwnedJobs()).toEqual([{ jobId: '15', workers: 1, submittedAt: 2_000 }]);
    await again.close();
  });
});
