import type { ClaimedTask } from '@bottle/protocol';
import type { ServerEvent, Store } from '@bottle/server';
import { ManualClock, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

const stores = await contractStores();
const REDUCE = 'examples/dummy.reduce';

let t: TestServer | undefined;
const opened: Store[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const store of opened.splice(0)) await store.close();
});

/** Claims every ready task and reports each: done, or failed for good when `fail` says so. */
async function finishAll(store: Store, fail: (task: ClaimedTask) => boolean = () => false) {
  const [tasks = []] = await store.claim([{ ...worker, max: 100, waitMs: 0 }]);
  await store.report(
    worker.workerId,
    tasks.map((task) =>
      fail(task)
        ? { outcome: 'failed', key: task.key, leaseToken: task.leaseToken, error: 'e', retryable: false }
        : { outcome: 'done', key: task.key, leaseToken: task.leaseToken, result: task.params },
    ),
  );
  return tasks;
}

describe.each(stores)('reduce ($name)', ({ name, openStore, reopen, startServer }) => {
  const open = async (store?: Store) => {
    const next = store ? await reopen(store) : await openStore({ maxAttempts: 1 });
    opened.push(next);
    return next;
  };

  it('queues one reduce task per completion state, whoever asks and however often', async () => {
    let store = await open();
    await store.submit({ scan: 's', reduce: REDUCE, tasks: specs(3) });
    expect(await store.queueReduce('s')).toBeNull();
    await finishAll(store, (task) => (task.params as { i: number }).i === 2);
    const first = await store.queueReduce('s');
    expect(first).toMatchObject({ created: true });
    expect(await store.queueReduce('s')).toEqual({ key: first?.key, created: false });
    // The server after a restart sees the same state.
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    store = await open(store);
    expect(await store.queueReduce('s')).toEqual({ key: first?.key, created: false });
    const { tasks } = await store.listTasks({ scan: 's.reduce', limit: 10 });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ task: REDUCE, state: 'queued', params: { scan: 's' } });
    // The scan's own counts leave the reduce task out.
    expect(await store.getScan('s')).toMatchObject({
      reduce: REDUCE,
      counts: { done: 2, failed: 1, queued: 0 },
    });
    expect((await store.getScan('s.reduce')).reduce).toBeUndefined();

    // A rerun of the failed task that ends again is a new state, even with the same counts.
    await store.rerunScan('s', 'failed');
    expect(await store.queueReduce('s')).toBeNull();
    await finishAll(store, (task) => task.task !== REDUCE && (task.params as { i: number }).i === 2);
    const second = await store.queueReduce('s');
    expect(second).toMatchObject({ created: true });
    expect(second?.key).not.toBe(first?.key);
  });

  // One SQLite file is served by one server at a time; PostgreSQL by several.
  it.skipIf(name === 'sqlite')('two servers asking at once queue it once', async () => {
    const store = await open();
    const other = await open(store);
    await store.submit({ scan: 'race', reduce: REDUCE, tasks: specs(2) });
    await finishAll(store);
    const answers = await Promise.all([store.queueReduce('race'), other.queueReduce('race')]);
    expect(answers.filter((answer) => answer?.created)).toHaveLength(1);
    expect(answers[0]?.key).toBe(answers[1]?.key);
    expect((await store.listTasks({ scan: 'race.reduce', limit: 10 })).tasks).toHaveLength(1);
  });

  it('a scan without a reduce task queues none; an unknown scan neither', async () => {
    const store = await open();
    await store.submit({ scan: 'plain', tasks: specs(1) });
    await finishAll(store);
    expect(await store.queueReduce('plain')).toBeNull();
    expect(await store.queueReduce('nope')).toBeNull();
  });

  it('the server queues the reduce task when the scan ends, and a waiting claim gets it', async () => {
    const clock = new ManualClock();
    const events: ServerEvent[] = [];
    t = await startServer({ clock, maxAttempts: 1, onEvent: (event) => events.push(event) });
    await t.call('POST', '/v1/tasks', { scan: 'live', reduce: REDUCE, tasks: specs(2) });
    await t.server.router.queue.monitor.refresh();
    const leased = (await t.call('POST', '/v1/claim', { ...worker, max: 2, waitMs: 0 })).body.tasks;
    for (const task of leased)
      await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken, result: 1 });
    const waiting = t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 60_000 });
    await waitFor(() => t?.server.router.waitingClaims === 1, { what: 'the waiting claim' });
    clock.advance(1_000);
    const reply = await waiting;
    expect(reply.body.tasks).toEqual([
      expect.objectContaining({
        task: REDUCE,
        scan: 'live.reduce',
        params: expect.objectContaining({ scan: 'live' }),
      }),
    ]);
    expect(events.filter((event) => event.type === 'reduce.queued')).toEqual([
      { type: 'reduce.queued', scan: 'live', key: reply.body.tasks[0].key },
    ]);
  });
});
