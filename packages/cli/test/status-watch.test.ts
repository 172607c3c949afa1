/**
 * `bottle status --watch` as a real child process, through a pseudo-terminal (`script`) and
 * through a pipe, while tasks finish: it redraws in place only on the terminal, shows failures
 * apart from successes, and exits when every scan is finished (1 when a task failed for good).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BottleServer, startBottleServer } from '@bottle/server';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binPath } from './_e2e.js';

let server: BottleServer;
let client: BottleClient;
let temp: { path: string; remove: () => void };

beforeEach(async () => {
  temp = makeTempDir('bottle-cli-status-');
  server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db'), maxAttempts: 1 });
  client = new BottleClient({ server: server.url });
  await client.submit(
    [0, 1, 2, 3].map((n) => ({ task: 'm.Task', params: { n } })),
    { scan: 'alpha' },
  );
});

afterEach(async () => {
  client.close();
  await server.close();
  temp.remove();
});

/** Starts `bottle status --watch`; `viaTerminal` runs it under `script`, which gives it a pty. */
function watch(viaTerminal: boolean) {
  const args = [binPath('bottle'), 'status', '--watch', '--interval', '0.2', '--server', server.url];
  const command = `${process.execPath} ${args.map((arg) => `'${arg}'`).join(' ')}`;
  const child = viaTerminal
    ? spawn('script', ['-qfec', `stty cols 200; ${command}`, '/dev/null'])
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => out, exited, kill: () => child.kill('SIGKILL') };
}

/** Claims the 4 tasks, then finishes them one by one, each step seen by the watcher before the next. */
async function finishAll(run: ReturnType<typeof watch>, failOne: boolean) {
  const { tasks } = await client.claim({ workerId: 'w', host: 'h', max: 4, waitMs: 0 });
  await waitFor(() => run.output().includes('running 4'), { what: 'running 4' });
  for (const [i, task] of tasks.entries()) {
    if (failOne && i === 0) await client.fail(task.key, task.leaseToken, 'broke', false, 'w');
    else await client.complete(task.key, task.leaseToken, { i }, 'w');
    if (i < 3) await waitFor(() => run.output().includes(`running ${3 - i}`), { what: `running ${3 - i}` });
  }
}

describe('bottle status --watch', () => {
  it('on a terminal: redraws in place, moves as tasks finish, exits 1 when a task failed for good', async () => {
    const run = watch(true);
    try {
      await waitFor(() => run.output().includes('queued 4'), { timeoutMs: 20_000 });
      await finishAll(run, true);
      expect(await run.exited).toBe(1);
      const out = run.output();
      expect(out).toContain('\x1b[1A'); // the cursor climbs back over the previous frame
      expect(out).toMatch(/running 4 .*oldest running \d+s \([0-9a-f]{12}\)/);
      expect(out).toMatch(/75% done {2}3\/4 {2}failed \S*1/);
      expect(out).toContain('finished');
    } finally {
      run.kill();
    }
  });

  it('through a pipe: plain lines, and exit 0 when every task is done', async () => {
    const run = watch(false);
    try {
      await waitFor(() => run.output().includes('queued 4'), { timeoutMs: 20_000 });
      await finishAll(run, false);
      expect(await run.exited).toBe(0);
      const out = run.output();
      expect(out).not.toContain('\x1b[');
      const lines = out.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(2);
      expect(lines.at(-1)).toMatch(
        /^alpha {2}\[#{24}\] {2}100% done {2}4\/4 {2}failed 0 {2}running 0 {2}queued 0 {2}finished$/,
      );
      expect(lines.some((line) => / 25% done/.test(line) || / 50% done/.test(line))).toBe(true);
    } finally {
      run.kill();
    }
  });

  it('a snapshot through a pipe exits at once', async () => {
    const run = spawn(process.execPath, [binPath('bottle'), 'status', '--server', server.url]);
    let out = '';
    run.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    expect(await new Promise((resolve) => run.once('exit', resolve))).toBe(0);
    expect(out).toMatch(/^alpha {2}\[\.{24}\] {4}0% done {2}0\/4/);
  });
});
