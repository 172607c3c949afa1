import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const stores = await contractStores();

describe.each(stores)('concurrent claims ($name)', ({ startServer }) => {
  it('leases each of 5,000 tasks exactly once to 20 concurrent claimers', async () => {
    t = await startServer();
    const server = t;
    expect((await server.call('POST', '/v1/tasks', { tasks: specs(5_000), scan: 'load' })).body.created).toBe(
      5_000,
    );

    const leasedBy = new Map<string, string[]>();
    const claimer = async (n: number) => {
      const workerId = `w${n}`;
      for (;;) {
        // Batches of varying size, so that claims overlap in different ways.
        const max = 1 + ((n * 7) % 40);
        const reply = await server.call('POST', '/v1/claim', { workerId, host: 'h', max, waitMs: 0 });
        expect(reply.status).toBe(200);
        const tasks: { key: string; leaseToken: string }[] = reply.body.tasks;
        if (tasks.length === 0) return;
        for (const task of tasks) leasedBy.set(task.key, [...(leasedBy.get(task.key) ?? []), workerId]);
        const reports = tasks.map((task) => ({
          outcome: 'done' as const,
          key: task.key,
          leaseToken: task.leaseToken,
        }));
        const done = await server.call('POST', '/v1/report', { workerId, reports });
        expect(done.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, n) => claimer(n)));

    expect(leasedBy.size).toBe(5_000);
    const twice = [...leasedBy].filter(([, holders]) => holders.length > 1);
    expect(twice).toEqual([]);
    const scan = (await server.call('GET', '/v1/scans/load')).body;
    expect(scan.counts).toMatchObject({ done: 5_000, queued: 0, running: 0 });
    expect(new Set([...leasedBy.values()].flat()).size).toBe(20);
  });
});
