import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('priorities, with real processes', () => {
  it('a scan posted with --priority, or raised with bottle priority, overtakes a large scan already queued', async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit(
      Array.from({ length: 30 }, (_, n) => ({ task: 'sweep.Task', params: { n, large: true } })),
      { scan: 'large' },
    );
    const urgent = await scene.bottle([
      'post',
      'sweep.small',
      '--priority',
      '5',
      '--json',
      '--server',
      server.url,
    ]);
    expect(urgent.code).toBe(0);
    const urgentScan = JSON.parse(urgent.stdout).scan as string;
    await server.client.submit(
      [1, 2, 3].map((n) => ({ task: 'sweep.Task', params: { n, late: true } })),
      { scan: 'late' },
    );
    const raised = await scene.bottle(['priority', 'late', '3', '--server', server.url]);
    expect(raised).toMatchObject({
      code: 0,
      stdout: "scan 'late': 3 unfinished tasks now have priority 3\n",
    });

    // The order tasks are handed out in: every urgent one, then every late one, then the large scan.
    const { tasks } = await server.client.claim({ workerId: 'w', host: 'h', max: 9, waitMs: 0 });
    expect(tasks.map((task) => task.scan)).toEqual([
      ...Array(5).fill(urgentScan),
      ...Array(3).fill('late'),
      'large',
    ]);
    expect(tasks.slice(5, 8).map((task) => task.params.n)).toEqual([1, 2, 3]);
  });

  it('refuses a priority that is not a whole number, and an unknown scan', async () => {
    scene = new Scene();
    const server = await scene.server();
    const fraction = await scene.bottle(['priority', 'x', '1.5', '--server', server.url]);
    expect(fraction.code).toBe(2);
    expect(fraction.stderr).toMatch(/a priority is a whole number/);
    const unknown = await scene.bottle(['priority', 'nope', '2', '--server', server.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no scan is named 'nope'.*ERR_NOT_FOUND/);
  });
});
