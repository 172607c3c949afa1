/**
 * A worker with resources against a real server: it takes only what fits what it has free beside
 * the tasks it holds, and a task that ends offers what it held again at once, not after the claim's
 * long wait.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskInfo, TaskSpec } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { BottleClient, loadScan, Worker } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a worker with resources', () => {
  it('runs GPU tasks one per GPU, and claims again as soon as one ends', async () => {
    const temp = makeTempDir();
    cleanups.push(() => temp.remove());
    const root = join(temp.path, 'root');
    cpSync(fixtures, root, { recursive: true });
    const server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db') });
    cleanups.push(() => server.close());
    const client = new BottleClient({ server: server.url, retries: 0 });
    cleanups.push(() => client.close());
    await client.submit(
      Array.from({ length: 4 }, (_, n) => ({
        task: 'sweep.Task',
        params: { n, ms: 100 },
        resources: { gpus: 1 },
      })),
    );
    // Four slots but one GPU: one task at a time. A claim waits up to a minute for work; with a GPU
    // held, only the end of its task cuts that wait short.
    const worker = new Worker({
      server: server.url,
      root,
      slots: 4,
      prefetch: 0,
      retryIfEmpty: true,
      claimWaitMs: 60_000,
      resources: { gpus: 1 },
      isolation: 'none',
    });
    cleanups.push(() => worker.stop({ force: true }));
    let running = 0;
    let most = 0;
    worker.on('task.started', () => {
      running++;
      most = Math.max(most, running);
    });
    worker.on('task.done', () => running--);
    void worker.run();
    const all = async () => {
      const tasks: TaskInfo[] = [];
      for await (const task of client.iterateTasks({})) tasks.push(task);
      return tasks;
    };
    await waitFor(async () => (await all()).every((task) => task.state === 'done'), {
      timeoutMs: 20_000,
      what: 'the four GPU tasks done',
    });
    expect(most).toBe(1);
    const { workers } = await client.listWorkers();
    expect(workers[0]?.resources).toMatchObject({ gpus: 1 });
    expect(workers[0]?.resources?.['cpus']).toBeGreaterThan(0);
  });

  it('takes what a scan asks for its tasks: the same for each, or by their parameters', async () => {
    const temp = makeTempDir();
    cleanups.push(() => temp.remove());
    writeFileSync(
      join(temp.path, 'gpus.mjs'),
      `export function scan() {
        return { task: 'Task', params: [{ big: true }, { big: false }],
                 resources: (p) => ({ gpus: p.big ? 2 : 1 }), needs: ['cuda12'] };
      }
      export function bad() { return { task: 'Task', params: [{}], resources: { gpus: 'many' } }; }
      export class Task { run() {} }`,
    );
    const scan = await loadScan('gpus.scan', { root: temp.path });
    const specs = [...(scan.specs as Iterable<TaskSpec>)];
    expect(specs.map((spec) => [spec.resources, spec.needs])).toEqual([
      [{ gpus: 2 }, ['cuda12']],
      [{ gpus: 1 }, ['cuda12']],
    ]);
    await expect(loadScan('gpus.bad', { root: temp.path })).rejects.toMatchObject({
      code: 'ERR_BAD_RESOURCES',
    });
  });

  it('refuses resources that are not named amounts, naming the option', () => {
    expect(() => new Worker({ server: 'http://127.0.0.1:9', resources: { gpus: -1 } })).toThrow(
      /`resources` must name amounts >= 0/,
    );
    expect(() => new Worker({ server: 'http://127.0.0.1:9', labels: ['a b'] })).toThrow(
      /`labels` must be names/,
    );
  });
});
