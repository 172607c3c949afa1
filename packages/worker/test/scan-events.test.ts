// GET /v1/scans/:name/events through the client, and the HTTP search driver, against a real server:
// reports made by hand, so that each finish is known.
import { join } from 'node:path';
import { taskKey } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../src/client/client.js';
import { BottleClient } from '../src/index.js';
import type { FinishNotice } from '../src/search/index.js';
import { httpDriver } from '../src/search/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(dbDir = makeTempDir()) {
  cleanups.push(() => dbDir.remove());
  const server = await startBottleServer({ port: 0, db: join(dbDir.path, 'bottle.db'), maxAttempts: 2 });
  cleanups.push(() => server.close());
  const client = new BottleClient({ server: server.url, retries: 0 });
  cleanups.push(() => client.close());
  return { server, client };
}

/** Claims every queued task and reports each as `outcome(params)` says. */
async function runAll(client: BottleClient, outcome: (i: number) => 'done' | 'failed' | 'retry') {
  const { tasks } = await client.claim({ workerId: 'w', host: 'h', max: 100, waitMs: 0 });
  const reports = tasks.map((task) => {
    const i = task.params['i'] as number;
    const said = outcome(i);
    return said === 'done'
      ? { outcome: 'done' as const, key: task.key, leaseToken: task.leaseToken, result: { v: i } }
      : {
          outcome: 'failed' as const,
          key: task.key,
          leaseToken: task.leaseToken,
          error: `e${i}`,
          retryable: said === 'retry',
        };
  });
  if (reports.length > 0) await client.report('w', reports);
  return tasks.length;
}

/** The parameter `i` of each task key submitted in these tests. */
const iOf = new Map<string, unknown>();
const spec = (task: string, i: number) => {
  iOf.set(taskKey(task, { i }), i);
  return { task, params: { i } };
};

/** Reads events until `count` finishes came, in order. */
async function collect(events: AsyncGenerator<ScanEvent>, count: number) {
  const finishes: Array<{ i: unknown; state: string; result: unknown }> = [];
  // next() by hand: a for-await that breaks would close the stream.
  while (finishes.length < count) {
    const { value: event, done } = await events.next();
    if (done) break;
    if (event.type === 'finish')
      finishes.push({ i: iOf.get(event.finish.key), state: event.finish.state, result: event.finish.result });
  }
  return finishes;
}

describe('GET /v1/scans/:name/events', () => {
  it("opens with ready, then tells each of the scan's tasks that a report ended, and no other", async () => {
    const { client } = await setup();
    const stop = new AbortController();
    cleanups.push(() => stop.abort());
    const events = client.scanEvents('mine', { signal: stop.signal });
    expect((await events.next()).value).toEqual({ type: 'ready' });

    const tasks = (n: number) => Array.from({ length: n }, (_, i) => spec('t.run', i));
    await client.submit(tasks(4), { scan: 'mine' });
    await client.submit([spec('other.run', 9)], { scan: 'theirs' });
    // 0 and 3 done, 1 failed for good, 2 failed but retryable (back in the queue: not finished).
    await runAll(client, (i) => (i === 1 ? 'failed' : i === 2 ? 'retry' : 'done'));
    const first = await collect(events, 3);
    expect(first).toEqual([
      { i: 0, state: 'done', result: { v: 0 } },
      { i: 1, state: 'failed', result: null },
      { i: 3, state: 'done', result: { v: 3 } },
    ]);
    // The retry runs out of attempts (maxAttempts 2): now it is told, as failed.
    const [retried] = (await client.claim({ workerId: 'w', host: 'h', max: 1, waitMs: 5_000 })).tasks;
    expect(retried?.params).toEqual({ i: 2 });
    await client.report('w', [
      {
        outcome: 'failed',
        key: retried!.key,
        leaseToken: retried!.leaseToken,
        error: 'again',
        retryable: true,
      },
    ]);
    expect(await collect(events, 1)).toEqual([{ i: 2, state: 'failed', result: null }]);
  });

  it('tells the finish of a task submitted before the stream opened', async () => {
    const { client } = await setup();
    await client.submit([spec('t.run', 5)], { scan: 'early' });
    const stop = new AbortController();
    cleanups.push(() => stop.abort());
    const events = client.scanEvents('early', { signal: stop.signal });
    expect((await events.next()).value).toEqual({ type: 'ready' });
    await runAll(client, () => 'done');
    expect(await collect(events, 1)).toEqual([{ i: 5, state: 'done', result: { v: 5 } }]);
  });

  it('refuses a bad scan name with 400', async () => {
    const { client } = await setup();
    await expect(client.scanEvents('no spaces').next()).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
  });
});

describe('httpDriver', () => {
  it('loads the finished tasks in finishing order, and answers a resubmitted finished task from the queue', async () => {
    const { client } = await setup();
    const driver = httpDriver(client);
    cleanups.push(() => driver.close());
    const heard: FinishNotice[] = [];
    await driver.follow('s', (task) => heard.push(task));
    expect(await driver.submit('s', [{ task: 't.run', params: { i: 1 } }])).toEqual([]);
    await runAll(client, () => 'done');
    await driver.submit('s', [{ task: 't.run', params: { i: 0 } }]);
    await runAll(client, () => 'done');
    const { finished, unfinished } = await driver.load('s');
    expect(finished.map((task) => task.params)).toEqual([{ i: 1 }, { i: 0 }]);
    expect(unfinished).toEqual([]);
    const again = await driver.submit('s', [
      { task: 't.run', params: { i: 1 } },
      { task: 't.run', params: { i: 2 } },
    ]);
    expect(again.map((task) => [task.params, task.state, task.result])).toEqual([
      [{ i: 1 }, 'done', { v: 1 }],
    ]);
    expect((await driver.load('s')).unfinished.map((task) => task.params)).toEqual([{ i: 2 }]);
  });
});
