/**
 * What `bottle` prints about a queue, through the real programs: attempts after reruns, progress,
 * run times reported by the worker, not-found messages that name a `bottle` command, tables that
 * are never cut in a pipe, and the URL a server bound to every interface gives workers.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene, type ServerHandle } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

const WORKER = { workerId: 'w-test', host: 'test-host' };

async function claimOne(server: ServerHandle) {
  const { tasks } = await server.client.claim({ ...WORKER, max: 1, waitMs: 0 });
  const task = tasks[0];
  if (!task) throw new Error('nothing to claim');
  return task;
}

describe('accounting', () => {
  it('attempts count since the last rerun against the limit, with the total beside them', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '1']);
    await server.client.submit([{ task: 'm.Task', params: { n: 1 } }], { scan: 'acct' });
    let key = '';
    for (let round = 0; round < 3; round++) {
      const task = await claimOne(server);
      key = task.key;
      await server.client.fail(task.key, task.leaseToken, 'it broke', false, WORKER.workerId);
      if (round < 2) expect((await scene.bottle(['rerun', key, '--server', server.url])).code).toBe(0);
    }
    const show = await scene.bottle(['show', key, '--server', server.url]);
    expect(show.stdout).toMatch(/attempts\s+1 of 1 \(3 in all, with reruns\)/);
    const ls = await scene.bottle(['ls', '--server', server.url]);
    expect(ls.stdout).toMatch(/failed\s+1\/1\s/);
    const [listed] = await scene.ls(server.url);
    expect(listed).toMatchObject({ attempts: 3, chargedAttempts: 1, maxAttempts: 1 });
  });

  it('status counts only done tasks as progress', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '1']);
    await server.client.submit(
      [1, 2].map((n) => ({ task: 'm.Task', params: { n } })),
      { scan: 'half' },
    );
    const first = await claimOne(server);
    await server.client.complete(first.key, first.leaseToken, { ok: true }, WORKER.workerId);
    const second = await claimOne(server);
    await server.client.fail(second.key, second.leaseToken, 'no', false, WORKER.workerId);
    const status = await scene.bottle(['status', '--server', server.url]);
    expect(status.stdout).toMatch(/half\s+\[.*\]\s+50% done\s+1\/2\s+failed 1\b/);
  });

  it("a report's startedAt and endedAt give the task's duration (not the time since its claim); rows carry key and paramsHash", async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit([{ task: 'm.Task', params: { n: 1 } }], { scan: 'timed' });
    const task = await claimOne(server);
    // The task waits in the worker (prefetched) before it runs for 20 ms on the worker's clock,
    // which here is set a day behind the server's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const runStart = Date.now() - 86_400_000;
    await server.client.report(WORKER.workerId, [
      {
        outcome: 'done',
        key: task.key,
        leaseToken: task.leaseToken,
        result: { y: 1 },
        startedAt: runStart,
        endedAt: runStart + 20,
      },
    ]);
    const results = await scene.bottle(['results', '--server', server.url, '--format', 'json']);
    expect(results.code).toBe(0);
    const detail = await server.client.getTask(task.key);
    // With the task's key and its output folder's name, to match a row to its outputs.
    expect(JSON.parse(results.stdout)).toMatchObject([
      { n: 1, state: 'done', duration: 0.02, y: 1, key: task.key, paramsHash: detail.task.paramsHash },
    ]);
    expect(detail.attempts[0]!.endedAt! - detail.attempts[0]!.startedAt).toBe(20);
  });
});

describe('messages and tables', () => {
  it('an unknown key or scan names the bottle command that lists them (exit 1)', async () => {
    scene = new Scene();
    const server = await scene.server();
    const show = await scene.bottle(['show', 'f'.repeat(64), '--server', server.url]);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/no task has key f{64}; list them with bottle ls/);
    expect(show.stderr).not.toContain('GET /v1');
    const results = await scene.bottle(['results', '--scan', 'nosuch', '--server', server.url]);
    expect(results.code).toBe(1);
    expect(results.stderr).toMatch(/no scan is named 'nosuch'; list them with bottle status/);
  });

  it('tables are whole in a pipe; COLUMNS fits them, keeping a key prefix and the error', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '1']);
    await server.client.submit([{ task: 'm.Task', params: { n: 1 } }], { scan: 'wide' });
    const task = await claimOne(server);
    const error = `the simulation diverged at step 1234: ${'detail '.repeat(20)}end`;
    await server.client.fail(task.key, task.leaseToken, error, false, WORKER.workerId);

    const piped = await scene.bottle(['ls', '--server', server.url]);
    expect(piped.stdout).toContain(task.key);
    expect(piped.stdout).toContain(error);

    const narrow = await scene.bottle(['ls', '--server', server.url], { COLUMNS: '90' });
    const lines = narrow.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(90);
    expect(lines[1]).toMatch(new RegExp(`^${task.key.slice(0, 12)}[0-9a-f]*…`));
    expect(lines[1]).toContain('the simulation');
  });

  it('a server bound to every interface gives workers a reachable URL, never 0.0.0.0', async () => {
    scene = new Scene();
    const server = scene.spawn('bottle-server', [
      '--db',
      scene.db,
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--token',
      'secret',
    ]);
    const [line] = await server.waitForOutput(/start a worker with: .*\n/);
    expect(line).not.toContain('0.0.0.0');
    expect(line).toContain(`http://${hostname()}:`);
    expect(server.stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+, and on every interface as/);
  });
});
