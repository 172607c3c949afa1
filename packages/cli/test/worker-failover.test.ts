import {
  createTestDatabase,
  freePort,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
  waitFor,
} from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, countDone, Scene } from './_e2e.js';

const reachable = await postgresReachable();

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('bottle-worker with several servers', () => {
  it('carries on through the next server when the first is killed: leases, heartbeats and reports kept', async () => {
    scene = new Scene();
    // Two servers of one queue: the first is killed mid-sweep and the second, listed after it,
    // starts on the same file (a SQLite file is served by one server at a time).
    const first = await scene.server(['--lease', '6']);
    const secondPort = await freePort();
    const secondUrl = `http://127.0.0.1:${secondPort}`;
    await first.client.submit(
      Array.from({ length: 30 }, (_, n) => ({ task: 'sweep.Task', params: { n, ms: 150 } })),
      { scan: 'failover' },
    );
    const worker = scene.worker(`${first.url},${secondUrl}`, ['-x', '2', '--quiet']);
    await waitFor(async () => (await countDone(first.client, 'failover')) >= 6, { timeoutMs: 60_000 });
    await first.child.kill9();
    // Tasks keep finishing while no server answers: their reports wait for the second server.
    await worker.waitForOutput(/warning: (claim|report|heartbeat)/, 30_000);
    const second = await scene.server(['--lease', '6'], { port: secondPort });
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/30 done, 0 failed/);

    const tasks = await allTasks(second.client, 'failover');
    expect(tasks.map((task) => task.state)).toEqual(Array(30).fill('done'));
    // Nothing ran twice: every lease held across the outage stayed valid on the other server.
    const attempts = await attemptsOf(second.client, tasks);
    for (const history of attempts.values()) expect(history.map((a) => a.outcome)).toEqual(['done']);
  });

  it('several URLs as arguments: a first one that never answers is passed over', async () => {
    scene = new Scene();
    const server = await scene.server();
    const closed = `http://127.0.0.1:${await freePort()}`;
    await server.client.submit([{ task: 'sweep.Task', params: { n: 1 } }], { scan: 'list' });
    const worker = scene.worker(closed, [server.url, '--quiet']);
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/1 done, 0 failed/);
    expect((await allTasks(server.client, 'list'))[0]?.state).toBe('done');
  });
});

describe.skipIf(!reachable)('bottle-worker with several servers of one PostgreSQL queue', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('one server killed -9 mid-sweep: the worker goes on through the other, each task done once, no attempt lost', async () => {
    scene = new Scene();
    const db = `${database.url}?schema=failover`;
    const start = async () => {
      const child = scene.spawn('bottle-server', ['--db', db, '--port', '0', '--lease', '10']);
      const [, url] = await child.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/, 60_000);
      await child.waitForOutput(/tasks queued/, 60_000);
      return { child, url: url as string };
    };
    const first = await start();
    const second = await start();
    const secondClient = new BottleClient(second.url);
    scene.defer(() => secondClient.close());
    await secondClient.submit(
      Array.from({ length: 40 }, (_, n) => ({ task: 'sweep.Task', params: { n, ms: 150 } })),
      { scan: 'pg-failover' },
    );
    const worker = scene.worker(first.url, [second.url, '-x', '2', '--quiet']);
    await waitFor(async () => (await countDone(secondClient, 'pg-failover')) >= 8, { timeoutMs: 60_000 });
    await first.child.kill9();
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/40 done, 0 failed/);
    const tasks = await allTasks(secondClient, 'pg-failover');
    expect(tasks.map((task) => task.state)).toEqual(Array(40).fill('done'));
    const attempts = await attemptsOf(secondClient, tasks);
    for (const history of attempts.values()) expect(history.map((a) => a.outcome)).toEqual(['done']);
  }, 120_000);
});

// Without PostgreSQL, one skipped test says why (with it, nothing is skipped).
if (!reachable) {
  describe('bottle-worker with several servers of one PostgreSQL queue', () => {
    it.skip(postgresSkipReason, () => {});
  });
}
