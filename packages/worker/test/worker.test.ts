import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams, type TaskSpec } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { BottleClient, loadScan, Worker } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(serverOptions: { leaseMs?: number; port?: number } = {}) {
  const temp = makeTempDir();
  cleanups.push(() => temp.remove());
  const root = join(temp.path, 'root');
  cpSync(fixtures, root, { recursive: true });
  const db = join(temp.path, 'bottle.db');
  const server = await startBottleServer({ port: 0, db, ...serverOptions });
  const state = { server };
  cleanups.push(() => state.server.close());
  const client = new BottleClient({ server: server.url, retries: 0 });
  cleanups.push(() => client.close());
  return { root, db, state, client, temp };
}

function newWorker(options: ConstructorParameters<typeof Worker>[0]): Worker {
  const worker = new Worker({ maxBackoffMs: 200, stopGraceMs: 300, ...options });
  cleanups.push(() => worker.stop({ force: true }));
  return worker;
}

describe('Worker against a real server', () => {
  it('finishes a scan: every task done exactly once, output directories named by parameter hash', async () => {
    const { root, state, client } = await setup();
    const scan = await loadScan('sweep.scan', { root });
    expect(await client.submitAll(scan.specs)).toMatchObject({ submitted: 20, created: 20, existing: 0 });

    const worker = newWorker({ server: state.server.url, root, slots: 3 });
    const doneKeys: string[] = [];
    worker.on('task.done', (task) => doneKeys.push(task.key));
    const summary = await worker.run();

    expect(summary).toMatchObject({ done: 20, failed: 0, unreported: 0 });
    expect(new Set(doneKeys).size).toBe(20);
    const tasks = [];
    for await (const task of client.iterateTasks({ scan: 'scan' })) tasks.push(task);
    expect(tasks).toHaveLength(20);
    for (const task of tasks) {
      expect(task.state).toBe('done');
      const detail = await client.getTask(task.key);
      expect(detail.attempts.map((a) => a.outcome)).toEqual(['done']);
      expect(task.result).toMatchObject({ n: task.params.n });
    }
    // Only the tasks that printed have a directory (with their params, status and log).
    const dirs = readdirSync(join(root, 'out')).sort();
    const printed = tasks.filter((task) => (task.params.n as number) % 2 === 0);
    expect(dirs).toEqual(printed.map((task) => hashParams(task.params)).sort());
    for (const dir of dirs) {
      for (const file of ['params.json', 'status.json', 'stdout.log']) {
        expect(existsSync(join(root, 'out', dir, file))).toBe(true);
      }
      expect(existsSync(join(root, 'out', dir, 'stderr.log'))).toBe(false);
    }
  });

  it('reports tasks that throw, exit, hang past their timeout or live outside the root as failed, and goes on', async () => {
    const { root, state, client } = await setup();
    writeFileSync(join(root, '..', 'outside.ts'), 'export class Task { run() { return "escaped"; } }\n');
    const specs: TaskSpec[] = [
      { task: 'tasks.Throws', params: { i: 1 } },
      { task: 'tasks.Exits', params: { i: 2 } },
      { task: 'tasks.Hangs', params: { i: 3 }, timeoutMs: 300 },
      { task: '../outside.Task', params: { i: 4 } },
      { task: 'tasks.Task', params: { i: 5 } },
    ].map((spec) => ({ ...spec, maxAttempts: 1, scan: 'bad' }));
    await client.submit(specs);

    const worker = newWorker({ server: state.server.url, root, slots: 2 });
    const failures = new Map<string, string>();
    worker.on('task.failed', (task, error) => failures.set(task.task, error.code));
    const summary = await worker.run();

    expect(summary).toMatchObject({ done: 1, failed: 4 });
    expect(Object.fromEntries(failures)).toEqual({
      'tasks.Throws': 'ERR_TASK_FAILED',
      'tasks.Exits': 'ERR_TASK_FAILED',
      'tasks.Hangs': 'ERR_TASK_TIMEOUT',
      '../outside.Task': 'ERR_MODULE_OUTSIDE_ROOT',
    });
    const { tasks } = await client.listTasks({ scan: 'bad' });
    const byTask = Object.fromEntries(tasks.map((t) => [t.task, t]));
    expect(byTask['tasks.Task']?.state).toBe('done');
    expect(byTask['tasks.Throws']).toMatchObject({ state: 'failed', error: expect.stringMatching(/boom/) });
    expect(byTask['tasks.Exits']).toMatchObject({ state: 'failed', error: expect.stringMatching(/code 3/) });
    expect(byTask['tasks.Hangs']).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/ERR_TASK_TIMEOUT/),
    });
    expect(byTask['../outside.Task']).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/OUTSIDE_ROOT/),
    });
    expect(existsSync(join(root, '..', 'out'))).toBe(false);
  });

  it('stop() lets running tasks finish and claims no more', async () => {
    const { root, state, client } = await setup();
    await client.submit(
      Array.from({ length: 4 }, (_, n) => ({ task: 'tasks.Sleeps', params: { ms: 400, n } })),
    );
    const worker = newWorker({ server: state.server.url, root, slots: 2, retryIfEmpty: true });
    let started = 0;
    worker.on('task.started', () => {
      if (++started === 2) void worker.stop();
    });
    const summary = await worker.run();
    expect(summary).toMatchObject({ done: 2, failed: 0 });
    const { scans } = await client.listScans();
    expect(scans[0]?.counts).toMatchObject({ done: 2, queued: 2, running: 0 });
  });

  it('stop({ force: true }) kills running tasks and releases their leases at once', async () => {
    const { root, state, client } = await setup({ leaseMs: 60_000 });
    await client.submit([0, 1].map((n) => ({ task: 'tasks.Sleeps', params: { ms: 60_000, n } })));
    const worker = newWorker({ server: state.server.url, root, slots: 2, retryIfEmpty: true });
    const outputDirs: string[] = [];
    let started = 0;
    worker.on('task.started', () => {
      started++;
    });
    const running = worker.run();
    // Wait until both tasks really run (their logs are open), then force the stop.
    await waitFor(
      () =>
        started === 2 &&
        existsSync(join(root, 'out')) &&
        readdirSync(join(root, 'out'), { withFileTypes: true }).length === 2,
      {
        what: 'both tasks running',
      },
    );
    for (const dir of readdirSync(join(root, 'out'))) outputDirs.push(join(root, 'out', dir));
    await waitFor(() => outputDirs.every((dir) => existsSync(join(dir, 'stdout.log'))));
    const summary = await worker.stop({ force: true });
    expect(await running).toEqual(summary);
    expect(summary).toMatchObject({ done: 0, failed: 0, released: 2, unreported: 0 });
    const { tasks } = await client.listTasks({});
    expect(tasks.map((t) => t.state)).toEqual(['queued', 'queued']);
    for (const task of tasks) {
      expect((await client.getTask(task.key)).attempts.map((a) => a.outcome)).toEqual(['released']);
    }
    for (const dir of outputDirs) {
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))).toMatchObject({ state: 'released' });
    }
  });

  it('carries on through a server restart (same db, same port) and reports what finished meanwhile', async () => {
    const { root, db, state, client } = await setup({ leaseMs: 10_000 });
    const port = state.server.port;
    await client.submit(
      Array.from({ length: 10 }, (_, n) => ({ task: 'sweep.Task', params: { n, ms: 300 } })),
    );
    const worker = newWorker({ server: state.server.url, root, slots: 2 });
    const warnings: string[] = [];
    worker.on('worker.warning', (error) => warnings.push(error.message));
    let started = 0;
    let restarted: Promise<void> | undefined;
    worker.on('task.started', () => {
      if (++started !== 3) return;
      restarted = (async () => {
        await state.server.close();
        await new Promise((resolve) => setTimeout(resolve, 700));
        state.server = await startBottleServer({ port, db, leaseMs: 10_000 });
      })();
    });
    const summary = await worker.run();
    await restarted;
    expect(warnings.length).toBeGreaterThan(0);
    expect(summary).toMatchObject({ done: 10, failed: 0, unreported: 0 });
    const { tasks } = await client.listTasks({});
    expect(tasks.map((t) => t.state)).toEqual(new Array(10).fill('done'));
    for (const task of tasks) {
      expect((await client.getTask(task.key)).attempts.map((a) => a.outcome)).toEqual(['done']);
    }
  });

  it('kills a running task that an operator cancels (told by the heartbeat) and goes on', async () => {
    const { root, state, client } = await setup({ leaseMs: 900 });
    await client.submit([
      { task: 'tasks.Sleeps', params: { ms: 60_000 } },
      { task: 'tasks.Sleeps', params: { ms: 10 } },
    ]);
    const worker = newWorker({ server: state.server.url, root, slots: 2 });
    const stopped: string[] = [];
    worker.on('task.stopped', (task, reason) => stopped.push(`${task.params.ms}:${reason}`));
    worker.on('task.started', (task) => {
      if (task.params.ms === 60_000) setTimeout(() => void client.cancelTask(task.key), 200);
    });
    const summary = await worker.run();
    expect(summary).toMatchObject({ done: 1, cancelled: 1, failed: 0 });
    expect(stopped).toEqual(['60000:cancelled']);
    const { tasks } = await client.listTasks({});
    expect(tasks.map((t) => t.state).sort()).toEqual(['cancelled', 'done']);
  });

  it('with retryIfEmpty, waits on an empty queue and picks up tasks submitted later', async () => {
    const { root, state, client } = await setup();
    const worker = newWorker({ server: state.server.url, root, retryIfEmpty: true, claimWaitMs: 10_000 });
    const running = worker.run();
    const done = new Promise((resolve) => worker.once('task.done', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.submit([{ task: 'tasks.Sleeps', params: { ms: 1 } }]);
    await done;
    await worker.stop();
    expect(await running).toMatchObject({ done: 1 });
  });

  it('a forced stop gives up on reports that cannot reach a vanished server', async () => {
    const { root, state, client } = await setup();
    await client.submit([{ task: 'tasks.Sleeps', params: { ms: 300 } }]);
    const worker = newWorker({ server: state.server.url, root, retryIfEmpty: true });
    worker.on('task.started', () => void state.server.close());
    worker.on('task.done', () => {
      void worker.stop();
      setTimeout(() => void worker.stop({ force: true }), 300);
    });
    expect(await worker.run()).toMatchObject({ done: 1, unreported: 1 });
  });
});
