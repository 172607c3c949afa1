import { join } from 'node:path';
import { exitCodes, main } from '@bottle/cli';
import type { ScanInfo, TaskInfo } from '@bottle/protocol';
import { type BottleServer, startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingContext } from './_context.js';

let server: BottleServer;
let client: BottleClient;
let temp: { path: string; remove: () => void };

beforeEach(async () => {
  temp = makeTempDir('bottle-cli-commands-');
  server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db'), maxAttempts: 1 });
  client = new BottleClient({ server: server.url });
  await client.submit(
    [0, 1, 2, 3].map((n) => ({ task: 'm.Task', params: { n } })),
    { scan: 'alpha' },
  );
  await client.submit([{ task: 'm.Task', params: { n: 9 } }], { scan: 'beta' });
});

afterEach(async () => {
  client.close();
  await server.close();
  temp.remove();
});

/** Runs `bottle ARGS --server URL --json` in-process and parses what it printed. */
async function bottleJson<T>(args: string[]): Promise<T> {
  const run = recordingContext();
  const code = await main('bottle', [...args, '--server', server.url, '--json'], run.context);
  if (code !== 0) throw new Error(`bottle ${args.join(' ')} exited ${code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Claims and finishes one task of scan `alpha` as a worker would: `n` 0 done, `n` 1 failed. */
async function workOn(outcome: 'done' | 'failed') {
  const { tasks } = await client.claim({ workerId: 'w-test', host: 'test-host', max: 1, waitMs: 0 });
  const task = tasks[0] as (typeof tasks)[number];
  if (outcome === 'done') await client.complete(task.key, task.leaseToken, { ok: true }, 'w-test');
  else await client.fail(task.key, task.leaseToken, 'it broke', false, 'w-test');
  return task;
}

describe('bottle commands against a real server', () => {
  it('status --json counts tasks per scan and state', async () => {
    const { scans } = await bottleJson<{ scans: ScanInfo[] }>(['status']);
    expect(scans.map((scan) => [scan.name, scan.total, scan.counts.queued]).sort()).toEqual([
      ['alpha', 4, 4],
      ['beta', 1, 1],
    ]);
    const one = await bottleJson<{ scans: ScanInfo[] }>(['status', 'beta']);
    expect(one.scans).toMatchObject([{ name: 'beta', total: 1 }]);
  });

  it('status prints a table, and an unknown scan is a failure naming it', async () => {
    const run = recordingContext();
    expect(await main('bottle', ['status', '--server', server.url], run.context)).toBe(0);
    expect(run.stdout).toMatch(
      /^alpha {2}\[\.{24}\] {4}0% done {2}0\/4 {2}failed 0 {2}running 0 {2}queued 4/m,
    );
    expect(run.stdout).toMatch(/^beta {2}\[\.{24}\] {4}0% done {2}0\/1/m);
    const missing = recordingContext();
    expect(await main('bottle', ['status', 'nope', '--server', server.url], missing.context)).toBe(
      exitCodes.failure,
    );
    expect(missing.stderr).toMatch(/ERR_NOT_FOUND/);
  });

  it('ls --json filters by state, scan and task, and --limit pages', async () => {
    const done = await workOn('done');
    expect((await bottleJson<{ tasks: TaskInfo[] }>(['ls', '--limit', '0'])).tasks).toHaveLength(5);
    expect((await bottleJson<{ tasks: TaskInfo[] }>(['ls', '--scan', 'alpha'])).tasks).toHaveLength(4);
    expect((await bottleJson<{ tasks: TaskInfo[] }>(['ls', '--limit', '2'])).tasks).toHaveLength(2);
    const finished = await bottleJson<{ tasks: TaskInfo[] }>(['ls', '--state', 'done']);
    expect(finished.tasks.map((task) => task.key)).toEqual([done.key]);
    expect((await bottleJson<{ tasks: TaskInfo[] }>(['ls', '--task', 'other.Task'])).tasks).toEqual([]);
  });

  it('show --json gives the task with its attempts', async () => {
    const failed = await workOn('failed');
    const { task, attempts } = await bottleJson<{ task: TaskInfo; attempts: unknown[] }>([
      'show',
      failed.key,
    ]);
    expect(task).toMatchObject({ key: failed.key, state: 'failed' });
    expect(task.error).toContain('it broke');
    expect(attempts).toMatchObject([
      { attempt: 1, outcome: 'failed', host: 'test-host', workerId: 'w-test' },
    ]);
    const text = recordingContext();
    expect(await main('bottle', ['show', failed.key, '--server', server.url], text.context)).toBe(0);
    expect(text.stdout).toMatch(/state\s+failed/);
    expect(text.stdout).toMatch(/error\s+.*it broke/);
  });

  it('cancel a task or a scan, and rerun them', async () => {
    const [first] = (await client.listTasks({ scan: 'beta' })).tasks;
    const cancelled = await bottleJson<{ task: TaskInfo }>(['cancel', first?.key as string]);
    expect(cancelled.task.state).toBe('cancelled');
    expect(await bottleJson(['cancel', '--scan', 'alpha'])).toEqual({ cancelled: 4 });

    const rerun = await bottleJson<{ task: TaskInfo }>(['rerun', first?.key as string]);
    expect(rerun.task.state).toBe('queued');
    expect(await bottleJson(['rerun', '--scan', 'alpha'])).toEqual({ requeued: 4 });
    const states = (await client.listTasks({})).tasks.map((task) => task.state);
    expect(states).toEqual(Array(5).fill('queued'));
  });

  it('rerun --scan requeues failed tasks only, unless --all', async () => {
    await workOn('done');
    await workOn('failed');
    expect(await bottleJson(['rerun', '--scan', 'alpha'])).toEqual({ requeued: 1 });
    expect(await bottleJson(['rerun', '--scan', 'alpha', '--all'])).toEqual({ requeued: 1 });
  });

  it('cancel and rerun need a key or --scan, not both', async () => {
    for (const args of [['cancel'], ['rerun'], ['cancel', 'k', '--scan', 's'], ['rerun', 'k', '--all']]) {
      const run = recordingContext();
      expect(await main('bottle', [...args, '--server', server.url], run.context)).toBe(exitCodes.usage);
    }
  });

  it('workers --json lists the workers seen, with the tasks they hold', async () => {
    await client.claim({ workerId: 'w-busy', host: 'busy-host', max: 2, waitMs: 0 });
    const { workers } = await bottleJson<{ workers: Array<{ workerId: string; running: number }> }>([
      'workers',
    ]);
    expect(workers).toMatchObject([{ workerId: 'w-busy', host: 'busy-host', running: 2 }]);
  });
});
