import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams, type Params, taskKey } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunMessage } from '../src/runner/messages.js';
import { TaskChild } from '../src/runner/process-runner.js';
import { resolveModuleSpec } from '../src/task/module-spec.js';

const temp = makeTempDir();
const root = temp.path;
cpSync(fileURLToPath(new URL('./fixtures', import.meta.url)), root, { recursive: true });

const children: TaskChild[] = [];
afterAll(() => {
  for (const child of children) child.close();
  temp.remove();
});

function newChild(killGraceMs = 500): TaskChild {
  const child = new TaskChild({ execArgv: [], killGraceMs, onStray: () => {} });
  children.push(child);
  return child;
}

let id = 0;
function message(task: string, params: Params): RunMessage {
  const resolved = resolveModuleSpec(task, root);
  return {
    type: 'run',
    id: ++id,
    task,
    file: resolved.file,
    exportName: resolved.exportName,
    root: resolved.root,
    key: taskKey(task, params),
    params,
    paramsHash: hashParams(params),
    attempt: 1,
    host: 'test-host',
    workerId: 'test-worker',
  };
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('task child', () => {
  it('runs tasks one after another in a warm child, each with its own output files', async () => {
    const child = newChild();
    const ends = [];
    for (const n of [1, 2]) ends.push(await child.run(message('tasks.Task', { n }), undefined));
    for (const [i, n] of [1, 2].entries()) {
      const end = ends[i];
      const dir = join(root, 'out', hashParams({ n }));
      expect(end).toMatchObject({ kind: 'done', result: { echo: { n } }, outputDir: dir });
      expect(readJson(join(dir, 'params.json'))).toEqual({ n });
      expect(readJson(join(dir, 'status.json'))).toMatchObject({
        state: 'done',
        attempt: 1,
        host: 'test-host',
        workerId: 'test-worker',
        exitCode: 0,
        error: null,
      });
      expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(`hello from {"n":${n}}\n`);
      expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toBe('a line on stderr\n');
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe(JSON.stringify({ n }));
    }
    // Same warm process for both.
    const pids = ends.map((end) => (end.kind === 'done' ? (end.result as { pid: number }).pid : 0));
    expect(pids[0]).toBe(pids[1]);
  });

  it('runs the function form and a JavaScript module', async () => {
    const child = newChild();
    const end = await child.run(message('tasks.fn', { n: 7 }), undefined);
    expect(end).toMatchObject({ kind: 'done', result: { square: 49, attempt: 1 } });
    expect(readFileSync(join(root, 'fn-out', hashParams({ n: 7 }), 'square.txt'), 'utf8')).toBe('49');
    expect(await child.run(message('plain.Task', { js: 1 }), undefined)).toMatchObject({
      kind: 'done',
      result: { js: true, params: { js: 1 } },
    });
  });

  it('reports a task that throws as failed with its stderr, and goes on', async () => {
    const child = newChild();
    const end = await child.run(message('tasks.Throws', { t: 1 }), undefined);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED', retryable: true });
    expect(end.kind === 'failed' && end.message).toMatch(
      /boom: this task always throws[\s\S]*stderr[\s\S]*at Throws.run/,
    );
    const dir = join(root, 'out', hashParams({ t: 1 }));
    expect(readJson(join(dir, 'status.json'))).toMatchObject({ state: 'failed' });
    expect(child.usable).toBe(true);
    expect(await child.run(message('tasks.Task', { after: 'throw' }), undefined)).toMatchObject({
      kind: 'done',
    });
  });

  it('reports a task that calls process.exit as failed, with the exit code in status.json', async () => {
    const child = newChild();
    const end = await child.run(message('tasks.Exits', { e: 1 }), undefined);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED' });
    expect(end.kind === 'failed' && end.message).toMatch(/exited with code 3[\s\S]*about to exit/);
    expect(readJson(join(root, 'out', hashParams({ e: 1 }), 'status.json'))).toMatchObject({
      state: 'failed',
      exitCode: 3,
    });
    expect(child.usable).toBe(false);
  });

  it('stops a task past its timeout: kill() first, SIGKILL when it does not listen', async () => {
    const polite = newChild();
    const end = await polite.run(message('tasks.Hangs', { h: 1 }), 200);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_TIMEOUT', retryable: true });
    expect(readFileSync(join(root, 'out', hashParams({ h: 1 }), 'stderr.log'), 'utf8')).toContain(
      'kill() called',
    );
    expect(readJson(join(root, 'out', hashParams({ h: 1 }), 'status.json'))).toMatchObject({
      state: 'failed',
    });
    // The child that was asked to stop is not trusted with another task, even before it has exited.
    expect(polite.usable).toBe(false);

    const hog = newChild(200);
    const hogEnd = await hog.run(message('tasks.Hogs', { h: 2 }), 200);
    expect(hogEnd).toMatchObject({ kind: 'failed', code: 'ERR_TASK_TIMEOUT' });
    expect(readJson(join(root, 'out', hashParams({ h: 2 }), 'status.json'))).toMatchObject({
      state: 'failed',
      signal: 'SIGKILL',
    });
    expect(hog.usable).toBe(false);
  });

  it('fails a task whose process has an uncaught exception, and retires that process', async () => {
    const child = newChild();
    const end = await child.run(message('tasks.Uncaught', { u: 1 }), undefined);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_TASK_FAILED', retryable: true });
    expect(end.kind === 'failed' && end.message).toMatch(/async boom/);
    expect(child.usable).toBe(false);
  });

  it('ends a task the worker takes back as aborted', async () => {
    const child = newChild(200);
    const running = child.run(message('tasks.Sleeps', { ms: 60_000 }), undefined);
    setTimeout(() => child.abort('cancelled'), 100);
    expect(await running).toMatchObject({ kind: 'aborted', reason: 'cancelled' });
  });

  it('fails a task whose export is missing without writing outputs', async () => {
    const child = newChild();
    const end = await child.run(message('tasks.Missing', { m: 1 }), undefined);
    expect(end).toMatchObject({ kind: 'failed', code: 'ERR_EXPORT_NOT_FOUND', retryable: false });
    expect(existsSync(join(root, 'out', hashParams({ m: 1 })))).toBe(false);
  });
});
