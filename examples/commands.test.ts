// Acceptance test of the command-task examples (python/, shell/, c/): each folder is copied as a user
// would have it on a worker's machine, its sweep file submitted, and a real worker runs it against a
// real server. The Python and C ones are skipped where python3 or cc is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JsonValue, sweepFromSpec } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { BottleClient, Worker } from '@bottle/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const examples = fileURLToPath(new URL('.', import.meta.url));
const temp = makeTempDir('bottle-examples-');
afterAll(() => temp.remove());
const has = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

/** Copies examples/NAME, submits its sweep file, runs one worker in it; returns results by params. */
async function runExample(name: string, sweepFile: string, prepare: (root: string) => void = () => {}) {
  const root = join(temp.path, name);
  cpSync(join(examples, name), root, { recursive: true });
  prepare(root);
  await using server = await startBottleServer({ port: 0, db: join(root, 'bottle.db') });
  const client = new BottleClient(server.url);
  const text = readFileSync(join(root, sweepFile), 'utf8');
  const sweep = sweepFromSpec(sweepFile.endsWith('.json') ? JSON.parse(text) : parseYaml(text), sweepFile);
  const specs = [...sweep.params].map((params) => ({ task: sweep.task, params, scan: sweep.scan }));
  await client.submit(specs as Parameters<typeof client.submit>[0]);
  await using worker = new Worker({ server: server.url, root, slots: 2 });
  const errors: string[] = [];
  worker.on('task.failed', (_task, error) => errors.push(error.message));
  const summary = await worker.run();
  const { tasks } = await client.listTasks({ limit: 1000 });
  client.close();
  return { root, summary, errors, tasks, size: sweep.params.size };
}

describe('command-task examples', () => {
  it.skipIf(!has('python3'))(
    'python/: train.py over 3 learning rates x 4 seeds, results from result.json',
    async () => {
      const { summary, errors, tasks, root } = await runExample('python', 'sweep.yaml');
      expect(errors).toEqual([]);
      expect(summary).toMatchObject({ done: 12, failed: 0 });
      for (const task of tasks) {
        const result = task.result as { loss: number; converged: boolean };
        expect(task.scan).toBe('lr-sweep');
        expect(Number.isFinite(result.loss)).toBe(true);
        // lr 0.3 and 0.1 converge within 50 epochs on this problem; 0.01 does not.
        expect(result.converged).toBe(task.params.lr !== 0.01);
        expect(readFileSync(join(root, 'out', task.paramsHash, 'stdout.log'), 'utf8')).toMatch(/epoch 49 /);
      }
    },
  );

  it('shell/: a pipeline per parameter set, in its output folder', async () => {
    const { summary, errors, tasks } = await runExample('shell', 'sweep.yaml');
    expect(errors).toEqual([]);
    expect(summary).toMatchObject({ done: 6, failed: 0 });
    const byParams = new Map(tasks.map((t) => [`${t.params.min}/${t.params.top}`, t.result as JsonValue]));
    expect(byParams.get('4/1')).toEqual({ words: 1, top: 'task' });
    expect(byParams.get('5/3')).toEqual({ words: 3, top: 'queue' });
  });

  it.skipIf(!has('cc'))('c/: a compiled program, built here with cc, over zipped parameters', async () => {
    const build = (root: string) => execFileSync('cc', ['-O2', '-o', join(root, 'sim'), join(root, 'sim.c')]);
    const { summary, errors, tasks } = await runExample('c', 'sweep.json', build);
    expect(errors).toEqual([]);
    expect(summary).toMatchObject({ done: 3, failed: 0 });
    const results = tasks.map((t) => [t.params.steps, (t.result as { steps: number }).steps]);
    expect(results.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1000, 1000],
      [10000, 10000],
      [100000, 100000],
    ]);
  });
});
