import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const stores = await contractStores();

/** `n` tasks of a task named after the scan: equal params in two scans stay two tasks. */
const of = (scan: string, n: number, extra = {}) => specs(n, extra, `examples/dummy.${scan}`);

/** Claims `max` tasks and names each `scan:i`, in the order handed out. */
const claimNames = async (server: TestServer, max: number) =>
  (
    (await server.call('POST', '/v1/claim', { ...worker, max, waitMs: 0 })).body.tasks as Array<{
      scan: string;
      params: { i: number };
    }>
  ).map((task) => `${task.scan}:${task.params.i}`);

describe.each(stores)('priorities ($name)', ({ startServer, openStore, query }) => {
  it('hands out higher priorities first, first in first out among equals; a task may give its own', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { scan: 'big', tasks: of('big', 3) });
    await t.call('POST', '/v1/tasks', {
      scan: 'urgent',
      priority: 5,
      tasks: [...of('urgent', 2), { task: 'examples/dummy.urgent', params: { i: 9 }, priority: 7 }],
    });
    await t.call('POST', '/v1/tasks', { scan: 'low', priority: -1, tasks: of('low', 1) });
    // One request's claim, and several claims served at once, follow the same order.
    expect(await claimNames(t, 2)).toEqual(['urgent:9', 'urgent:0']);
    expect(await claimNames(t, 10)).toEqual(['urgent:1', 'big:0', 'big:1', 'big:2', 'low:0']);
    const urgent = await t.call('GET', '/v1/tasks?scan=urgent');
    expect(urgent.body.tasks.map((task: { priority: number }) => task.priority)).toEqual([5, 5, 7]);
  });

  it('a resubmit keeps a known task its priority', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { scan: 's', priority: 3, tasks: specs(1) });
    await t.call('POST', '/v1/tasks', { scan: 's', priority: 9, tasks: specs(2) });
    const tasks = (await t.call('GET', '/v1/tasks?scan=s')).body.tasks;
    expect(tasks.map((task: { priority: number }) => task.priority)).toEqual([3, 9]);
  });

  it("a scan's priority changed while it runs makes it overtake a large scan already queued", async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { scan: 'large', tasks: of('large', 50) });
    await t.call('POST', '/v1/tasks', { scan: 'small', tasks: of('small', 3) });
    expect(await claimNames(t, 2)).toEqual(['large:0', 'large:1']);
    await t.call('POST', '/v1/tasks', { scan: 'small', tasks: of('small', 1, { params: { i: 3 } }) });
    const [first] = (await t.call('POST', '/v1/claim', { ...worker, workerId: 'w2', max: 1, waitMs: 0 })).body
      .tasks;
    expect(first.scan).toBe('large');
    const set = await t.call('POST', '/v1/scans/small/priority', { priority: 10 });
    expect(set).toMatchObject({ status: 200, body: { count: 4 } });
    expect(await claimNames(t, 5)).toEqual(['small:0', 'small:1', 'small:2', 'small:3', 'large:3']);
    // Running tasks of a scan keep the new priority for a retry.
    await t.call('POST', '/v1/scans/large/priority', { priority: 20 });
    await t.call('POST', `/v1/tasks/${first.key}/release`, { leaseToken: first.leaseToken });
    expect(await claimNames(t, 1)).toEqual([`large:${first.params.i}`]);
  });

  it('refuses an unknown scan (404) and a priority that is not a whole number (400)', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { scan: 's', tasks: specs(1) });
    expect((await t.call('POST', '/v1/scans/nope/priority', { priority: 1 })).status).toBe(404);
    for (const body of [{ priority: 1.5 }, { priority: '2' }, {}, { priority: 2e6 }]) {
      const reply = await t.call('POST', '/v1/scans/s/priority', body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('ERR_BAD_REQUEST');
    }
    expect((await t.call('POST', '/v1/tasks', { tasks: specs(1, { priority: 0.5 }) })).status).toBe(400);
  });

  it('tasks stored before priorities existed read as priority 0', async () => {
    const store = await openStore();
    await store.submit({ scan: 's', tasks: specs(1) });
    const rows = await query<{ priority: number }>(store, 'SELECT priority FROM tasks');
    expect(rows.map((row) => Number(row.priority))).toEqual([0]);
    await store.close();
  });
});
