/**
 * Resources and labels on both stores: a task goes only to a worker that has, free, what it asks and
 * every label it needs; what a claim hands out is counted together; tasks that ask nothing go to any
 * worker; a task no worker fits is told.
 */
import type { ClaimedTask, ClaimRequest } from '@bottle/protocol';
import type { SqliteStore, Store } from '@bottle/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fittingSql } from '../src/sqlite/claim-fit.js';
import { specs } from './helpers.js';
import { contractStores, type StoreKind } from './stores.js';

const stores = await contractStores();

const gpuWorker = { workerId: 'gpu', host: 'h', resources: { gpus: 2, cpus: 8 }, labels: ['cuda12'] };
const cpuWorker = { workerId: 'cpu', host: 'h', resources: { cpus: 8 } };

async function claim(store: Store, request: Omit<ClaimRequest, 'max' | 'waitMs'>, max = 100) {
  const [tasks] = (await store.claim([{ ...request, max, waitMs: 0 }])) as [ClaimedTask[]];
  return tasks;
}

const names = (tasks: readonly ClaimedTask[]) => tasks.map((task) => task.params['name']).sort();

describe.each(stores)('resources and labels ($name)', (kind: StoreKind) => {
  it('never hands a GPU task to a worker without a GPU, and plain tasks to any', async () => {
    const store = await kind.openStore();
    await store.submit({
      tasks: [
        { task: 't', params: { name: 'gpu' }, resources: { gpus: 1 } },
        { task: 't', params: { name: 'plain' } },
        { task: 't', params: { name: 'cuda' }, needs: ['cuda12'] },
      ],
    });
    expect(names(await claim(store, cpuWorker))).toEqual(['plain']);
    const gpu = await claim(store, gpuWorker);
    expect(names(gpu)).toEqual(['cuda', 'gpu']);
    // The worker learns what each task holds, to count it against what it has.
    expect(gpu.find((task) => task.params['name'] === 'gpu')?.resources).toEqual({ gpus: 1 });
    expect(gpu.find((task) => task.params['name'] === 'cuda')?.resources).toBeUndefined();
    await store.close();
  });

  it('counts what one claim hands out against what the worker has free', async () => {
    const store = await kind.openStore();
    await store.submit({ tasks: specs(5, { resources: { gpus: 1 } }) });
    const first = await claim(store, { ...gpuWorker, free: { gpus: 2, cpus: 8 } });
    expect(first).toHaveLength(2);
    // With both GPUs held by its running tasks, the worker says it has none free: it gets none.
    expect(await claim(store, { ...gpuWorker, free: { gpus: 0, cpus: 8 } })).toHaveLength(0);
    expect(await claim(store, { ...gpuWorker, free: { gpus: 1, cpus: 8 } })).toHaveLength(1);
    await store.close();
  });

  it('keeps the queue order across tasks with and without needs, and mixes shapes within a claim', async () => {
    const store = await kind.openStore();
    await store.submit({
      tasks: [
        { task: 't', params: { name: 'a-2gpu' }, resources: { gpus: 2 } },
        { task: 't', params: { name: 'b-1gpu' }, resources: { gpus: 1 } },
        { task: 't', params: { name: 'c-plain' } },
        { task: 't', params: { name: 'd-1gpu' }, resources: { gpus: 1 } },
        { task: 't', params: { name: 'e-plain' } },
      ],
    });
    // 2 GPUs free: the first task takes both, so neither 1-GPU task fits beside it in this claim.
    const tasks = await claim(store, gpuWorker, 3);
    expect(tasks.map((task) => task.params['name'])).toEqual(['a-2gpu', 'c-plain', 'e-plain']);
    await store.close();
  });

  it('serves a GPU worker after a CPU worker came away empty in the same batch of claims', async () => {
    const store = await kind.openStore();
    await store.submit({ tasks: specs(3, { resources: { gpus: 1 } }) });
    const [cpu, gpu] = await store.claim([
      { ...cpuWorker, max: 5, waitMs: 0 },
      { ...gpuWorker, max: 5, waitMs: 0 },
    ]);
    expect(cpu).toHaveLength(0);
    expect(gpu).toHaveLength(2);
    await store.close();
  });

  it('hands out the tasks that ask nothing to a worker that declares nothing', async () => {
    const store = await kind.openStore();
    await store.submit({ tasks: [...specs(2), ...specs(2, { resources: { cpus: 1 } }, 'u')] });
    expect(await claim(store, { workerId: 'old', host: 'h' })).toHaveLength(2);
    expect(await claim(store, cpuWorker)).toHaveLength(2);
    await store.close();
  });

  it('takes the request-wide needs for tasks that give none', async () => {
    const store = await kind.openStore();
    await store.submit({
      tasks: [
        { task: 't', params: { i: 1 } },
        { task: 't', params: { i: 2 }, resources: {} },
      ],
      resources: { gpus: 1 },
    });
    expect(await claim(store, cpuWorker)).toHaveLength(1);
    expect(await claim(store, gpuWorker)).toHaveLength(1);
    await store.close();
  });

  it('keeps what each worker declared, and lists what a task asks', async () => {
    const store = await kind.openStore();
    await store.submit({ tasks: specs(1, { resources: { gpus: 4 }, needs: ['cuda12'] }) });
    await claim(store, gpuWorker);
    const { workers } = await store.listWorkers();
    expect(workers.find((w) => w.workerId === 'gpu')).toMatchObject({
      resources: { gpus: 2, cpus: 8 },
      labels: ['cuda12'],
    });
    const { tasks } = await store.listTasks({ limit: 10 });
    expect(tasks[0]).toMatchObject({ state: 'queued', resources: { gpus: 4 }, needs: ['cuda12'] });
    await store.close();
  });
});

describe.each(stores)('a task no worker fits ($name)', (kind: StoreKind) => {
  it('is marked unfit on the read side while it waits', async () => {
    const server = await kind.startServer();
    onTestFinished(() => server.close());
    const { call } = server;
    await call('POST', '/v1/tasks', {
      tasks: [
        { task: 't', params: { i: 1 }, resources: { gpus: 4 } },
        { task: 't', params: { i: 2 }, resources: { gpus: 1 } },
        { task: 't', params: { i: 3 } },
      ],
    });
    const listed = async () => (await call('GET', '/v1/tasks')).body.tasks as { unfit?: boolean }[];
    // No worker heard from yet: nothing is told.
    expect((await listed()).map((task) => task.unfit ?? false)).toEqual([false, false, false]);
    await call('POST', '/v1/claim', { ...gpuWorker, max: 1, waitMs: 0, free: { gpus: 0, cpus: 8 } });
    expect((await listed()).map((task) => task.unfit ?? false)).toEqual([true, false, false]);
  });
});

describe('the claim of tasks with needs (SQLite plan)', () => {
  it('reads each fitting shape by index, and the tasks that ask nothing through tasks_queue', async () => {
    const [sqlite] = stores;
    const store = (await sqlite!.openStore()) as SqliteStore;
    const sql = fittingSql(2);
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({
      now: 0,
      max: 1,
      exclude: '[]',
      tooLong: '[]',
      s0: 'a',
      n0: 1,
      s1: 'b',
      n1: 1,
    }) as { detail: string }[];
    const details = plan.map((step) => step.detail).join('\n');
    expect(details).toMatch(/INDEX tasks_queue/);
    expect(details.match(/INDEX tasks_shaped \(shape=\?\)/g)).toHaveLength(2);
    // No step reads the table whole.
    expect(details).not.toMatch(/SCAN tasks(?! USING)/);
    await store.close();
  });
});
