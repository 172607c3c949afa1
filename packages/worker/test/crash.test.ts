import { cpSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir, spawnChild, waitFor } from '@bottle/test-utils';
import { afterAll, expect, it } from 'vitest';
import { BottleClient, Worker } from '../src/index.js';

const temp = makeTempDir();
const root = join(temp.path, 'root');
cpSync(fileURLToPath(new URL('./fixtures', import.meta.url)), root, { recursive: true });
afterAll(() => temp.remove());

const jitiRegister = join(
  dirname(createRequire(import.meta.url).resolve('jiti/package.json')),
  'lib',
  'jiti-register.mjs',
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('kill -9 of a worker process: its task processes exit, and another worker finishes after the leases expire', async () => {
  await using server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db'), leaseMs: 1_000 });
  const client = new BottleClient(server.url);
  const params = [0, 1, 2, 3].map((n) => ({ n, ms: 1_500 }));
  await client.submit(params.map((p) => ({ task: 'tasks.Sleeps', params: p })));

  const script = fileURLToPath(new URL('./_worker-process.ts', import.meta.url));
  const doomed = spawnChild(process.execPath, ['--import', jitiRegister, script, server.url, root, '2']);
  try {
    await doomed.waitForOutput(/started[\s\S]*started/);
    // The pids of the two running task processes, from their stdout.log.
    const pids = await waitFor(() => {
      const found = params
        .map((p) => join(root, 'out', hashParams(p), 'stdout.log'))
        .filter((file) => existsSync(file))
        .map((file) => Number(readFileSync(file, 'utf8').match(/pid (\d+)/)?.[1]))
        .filter((pid) => pid > 0);
      return found.length === 2 ? found : undefined;
    });
    await doomed.kill9();
    await waitFor(() => pids.every((pid) => !alive(pid)), { what: 'the task processes to exit' });
  } finally {
    await doomed.kill9();
  }

  // retryIfEmpty: the killed worker's tasks come back only when their leases expire.
  await using rescuer = new Worker({ server: server.url, root, slots: 2, retryIfEmpty: true });
  let done = 0;
  rescuer.on('task.done', () => {
    if (++done === 4) void rescuer.stop();
  });
  const summary = await rescuer.run();
  expect(summary).toMatchObject({ done: 4, failed: 0 });
  const { tasks } = await client.listTasks({});
  expect(tasks.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done']);
  const histories = await Promise.all(
    tasks.map(async (t) => (await client.getTask(t.key)).attempts.map((a) => a.outcome)),
  );
  expect(histories.filter((h) => h.join() === 'lost,done')).toHaveLength(2);
  expect(histories.filter((h) => h.join() === 'done')).toHaveLength(2);
  client.close();
});
