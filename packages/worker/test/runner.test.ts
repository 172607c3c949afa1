import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams, type Params, taskKey } from '@bottle/protocol';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { createModuleRunner } from '../src/runner/create-runner.js';
import type { Isolation, RunEnd, TaskRunner } from '../src/runner/runner.js';

const temp = makeTempDir();
const root = temp.path;
cpSync(fileURLToPath(new URL('./fixtures', import.meta.url)), root, { recursive: true });

const runners: TaskRunner[] = [];
afterAll(async () => {
  await Promise.all(runners.map((runner) => runner.close()));
  temp.remove();
});

function newRunner(isolation: Isolation, stopGraceMs = 500, processes = 2): TaskRunner {
  const runner = createModuleRunner({
    isolation,
    processes,
    execArgv: [],
    root,
    host: 'test-host',
    workerId: 'test-worker',
    stopGraceMs,
    onStray: () => {},
  });
  runners.push(runner);
  return runner;
}

let id = 0;
function run(runner: TaskRunner, task: string, params: Params, timeoutMs?: number): Promise<RunEnd> {
  return runner.run({
    id: ++id,
    task,
    key: taskKey(task, params),
    params,
    paramsHash: hashParams(params),
    attempt: 1,
    timeoutMs,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const dirOf = (params: Params, out = 'out') => join(root, out, hashParams(params));

describe.each(['process', 'thread', 'none'] as const)('isolation %s', (isolation) => {
  const runner = newRunner(isolation);

  it('runs tasks at once, each with its own directory, params.json, logs, status.json and result.json', async () => {
    const params = [1, 2, 3].map((n) => ({ n, isolation }));
    const ends = await Promise.all(params.map((p) => run(runner, 'tasks.Task', p)));
    for (const [i, p] of params.entries()) {
      const dir = dirOf(p);
      expect(ends[i]).toMatchObject({ kind: 'done', result: { echo: p }, outputDir: dir });
      expect(readJson(join(dir, 'params.json'))).toEqual(p);
      expect(readJson(join(dir, 'status.json'))).toMatchObject({
        state: 'done',
        attempt: 1,
        host: 'test-host',
        workerId: 'test-worker',
        exitCode: 0,
        error: null,
      });
      expect(readJson(join(dir, 'result.json'))).toMatchObject({ echo: p });
      // vitest replaces `console` in its own process, so capture with `none` is tested through the
      // real bins (packages/cli/test/isolation.test.ts).
      if (isolation !== 'none') {
        expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(`hello from ${JSON.stringify(p)}\n`);
        expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toBe('a line on stderr\n');
      }
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe(JSON.stringify(p));
    }
  });

  it('leaves nothing on disk for a task that writes nothing', async () => {
    const p = { noop: isolation };
    expect(await run(runner, 'tasks.Noop', p)).toMatchObject({
      kind: 'done',
      result: null,
      outputDir: undefined,
    });
    expect(existsSync(dirOf(p))).toBe(false);
  });

  it('runs the function form and a JavaScript module', async () => {
    const p = { n: 7, isolation };
    expect(await run(runner, 'tasks.fn', p)).toMatchObject({ kind: 'done', result: { square: 49 } });
    expect(readFileSync(join(dirOf(p, 'fn-out'), 'square.txt'), 'utf8')).toBe('49');
    expect(await run(runner, 'plain.Task', { js: isolation })).toMatchObject({
      kind: 'done',
      result: { js: true, params: { js: isolation } },
    });
  });

  it('reports a task that throws as failed with its stack, and goes on', async () => {
    const end = await run(runner, 'tasks.Throws', { t: isolation });
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED', retryable: true });
    expect(end.kind === 'failed' && end.message).toMatch(/boom: this task always throws[\s\S]*at Throws.run/);
    expect(await run(runner, 'tasks.Task', { after: isolation })).toMatchObject({ kind: 'done' });
  });

  it('stops a task past its timeout through its kill()', async () => {
    const p = { h: 1, isolation };
    const end = await run(runner, 'tasks.Hangs', p, 200);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_TIMEOUT', retryable: true });
    if (isolation !== 'none') {
      expect(readFileSync(join(dirOf(p), 'stderr.log'), 'utf8')).toContain('kill() called');
      expect(readJson(join(dirOf(p), 'status.json'))).toMatchObject({ state: 'failed' });
    }
  });

  it('ends a task the worker takes back as aborted', async () => {
    const n = ++id + 1;
    const running = run(runner, 'tasks.Sleeps', { ms: 60_000, isolation });
    setTimeout(() => runner.abort(n, 'cancelled'), 100);
    expect(await running).toMatchObject({ kind: 'aborted', reason: 'cancelled' });
  });

  it('names the module of a missing export, and writes nothing', async () => {
    const end = await run(runner, 'tasks.Missing', { m: isolation });
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_EXPORT_NOT_FOUND', retryable: false });
    expect(end.kind === 'failed' && end.message).toMatch(/^task module tasks has no export "Missing"/);
    expect(existsSync(dirOf({ m: isolation }))).toBe(false);
  });
});

describe.each(['process', 'thread'] as const)(
  'isolation %s: what would take the worker down',
  (isolation) => {
    it('fails a task that calls process.exit, with the exit code in status.json, and goes on', async () => {
      const runner = newRunner(isolation);
      const p = { e: 1, isolation };
      const end = await run(runner, 'tasks.Exits', p);
      expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED' });
      expect(end.kind === 'failed' && end.message).toMatch(/exited with code 3[\s\S]*about to exit/);
      expect(readJson(join(dirOf(p), 'status.json'))).toMatchObject({ state: 'failed', exitCode: 3 });
      expect(await run(runner, 'tasks.Noop', { after: isolation })).toMatchObject({ kind: 'done' });
    });

    it('ends a task that ignores kill() by force, and gives its neighbours back', async () => {
      const runner = newRunner(isolation, 200, 1);
      const neighbour = run(runner, 'tasks.Sleeps', { ms: 60_000, isolation });
      const hog = await run(runner, 'tasks.Hogs', { h: 2, isolation }, 300);
      expect(hog).toMatchObject({ kind: 'failed', code: 'ERR_TASK_TIMEOUT' });
      expect(await neighbour).toMatchObject({ kind: 'aborted', reason: 'released' });
      expect(await run(runner, 'tasks.Noop', { after: 'hog', isolation })).toMatchObject({ kind: 'done' });
    });

    // A thread's children belong to the worker's own process group: nothing to kill them with.
    it.skipIf(isolation === 'thread')(
      'kills what a task spawned with it when it must be killed',
      async () => {
        const runner = newRunner(isolation, 200);
        const p = { spawns: isolation };
        // The timeout counts module loading too: long enough for the task to start its sleep.
        expect(await run(runner, 'tasks.SpawnsAndHogs', p, 3_000)).toMatchObject({
          code: 'ERR_TASK_TIMEOUT',
        });
        const pid = Number(readFileSync(join(dirOf(p), 'stdout.log'), 'utf8').match(/sleeper (\d+)/)?.[1]);
        expect(pid).toBeGreaterThan(0);
        await waitFor(() => !alive(pid), { what: 'the spawned sleep to be killed with its group' });
      },
    );

    it('fails a task whose host has an uncaught exception, and replaces the host', async () => {
      const runner = newRunner(isolation);
      const end = await run(runner, 'tasks.Uncaught', { u: isolation });
      expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED', retryable: true });
      expect(end.kind === 'failed' && end.message).toMatch(/async boom/);
      expect(await run(runner, 'tasks.Noop', { after: 'uncaught', isolation })).toMatchObject({
        kind: 'done',
      });
    });
  },
);
