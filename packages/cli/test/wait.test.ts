import type { TaskSpec } from '@bottle/protocol';
import { freePort } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('bottle wait, with real processes', () => {
  it('waits for scans to end and exits 0 when every task is done, 1 when one failed, 124 on --timeout', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '1']);
    const post = (scan: string, tasks: TaskSpec[]) => server.client.submit(tasks, { scan });
    await post(
      'good',
      [1, 2, 3].map((n) => ({ task: 'sweep.Task', params: { n } })),
    );
    await post('bad', [
      { task: 'sweep.Task', params: { n: 4 } },
      { task: 'bad.Throws', params: { case: 'throws' } },
    ]);
    // No worker yet: nothing ends, and --timeout says so with its own code.
    const early = await scene.bottle(['wait', 'good', '--timeout', '0.5', '--server', server.url]);
    expect(early.code).toBe(124);
    expect(early.stdout).toMatch(/^timed out after 0\.5s: good not ended \(3 queued, 0 running; 0 done/);

    // Waits started before any worker runs are answered when the scans end.
    const good = scene.spawn('bottle', ['wait', 'good', '--server', server.url]);
    const both = scene.spawn('bottle', ['wait', 'good', 'bad', '--json', '--server', server.url]);
    const worker = scene.worker(server.url, ['-x', '2']);
    expect(await good.exited).toBe(0);
    expect(good.stdout).toBe('good ended: 3 done, 0 failed, 0 cancelled of 3 tasks\n');
    expect(await both.exited).toBe(1);
    const answer = JSON.parse(both.stdout);
    expect(answer.exitCode).toBe(1);
    expect(
      answer.scans.map((s: { scan: { name: string }; ended: boolean }) => [s.scan.name, s.ended]),
    ).toEqual([
      ['good', true],
      ['bad', true],
    ]);
    expect(await worker.exited).toBe(1);

    const bad = await scene.bottle(['wait', 'bad', '--server', server.url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('bad ended: 1 done, 1 failed, 0 cancelled of 2 tasks\n');
  });

  it('rides through a restart of the server (kill -9), and says so once', async () => {
    scene = new Scene();
    const port = await freePort();
    const first = await scene.server([], { port });
    await first.client.submit(
      [1, 2].map((n) => ({ task: 'sweep.Task', params: { n } })),
      { scan: 'long' },
    );
    const waiting = scene.spawn('bottle', ['wait', 'long', '--server', first.url], { BOTTLE_DEBUG: '1' });
    // The server answered the wait before it dies.
    await waiting.waitForOutput(/waiting for scan long on/);
    await first.child.kill9();
    await waiting.waitForOutput(/cannot be reached; waiting for it to come back/);
    const second = await scene.server([], { port });
    expect(await scene.worker(second.url, ['-x', '1']).exited).toBe(0);
    expect(await waiting.exited).toBe(0);
    expect(waiting.stdout).toBe('long ended: 2 done, 0 failed, 0 cancelled of 2 tasks\n');
    expect(waiting.stderr.match(/cannot be reached/g)).toHaveLength(1);
  });

  it('a server that never answered is an error at once', async () => {
    scene = new Scene();
    const closed = await freePort();
    const run = await scene.bottle(['wait', 'x', '--server', `http://127.0.0.1:${closed}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ERR_SERVER_UNREACHABLE/);
  });

  it('exits 2 on a usage error: no scan, an unknown scan, a bad --timeout', async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit([{ task: 'sweep.Task', params: { n: 1 } }], { scan: 'known' });
    const none = await scene.bottle(['wait', '--server', server.url]);
    expect(none.code).toBe(2);
    const unknown = await scene.bottle(['wait', 'known', 'nope', '--server', server.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no scan is named 'nope'; list them with bottle status/);
    const timeout = await scene.bottle(['wait', 'known', '--timeout', '0', '--server', server.url]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/--timeout takes a number of seconds > 0/);
  });
});
