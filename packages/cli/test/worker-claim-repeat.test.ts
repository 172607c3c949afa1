import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, Scene } from './_e2e.js';
import { relay } from './_relay.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('bottle-worker: a claim whose answer was lost', () => {
  it('is sent again with the same claimId until answered: the leases come back, no attempt is lost', async () => {
    scene = new Scene();
    // A lease longer than the test: a lease whose answer never arrived would leave its task running.
    const server = await scene.server(['--lease', '600']);
    await server.client.submit(
      Array.from({ length: 12 }, (_, n) => ({ task: 'sweep.Task', params: { n } })),
      { scan: 'repeat' },
    );
    // More lost answers than the client retries by itself: the worker's claim loop repeats it too.
    const lossy = await relay(server.url, { dropClaims: 4 });
    scene.defer(() => lossy.close());
    const worker = scene.worker(lossy.url, ['-x', '2', '--quiet']);
    expect(await worker.exited).toBe(0);
    const dropped = lossy.dropped.map((body) => (body as { claimId?: string }).claimId);
    expect(dropped).toHaveLength(4);
    expect(new Set(dropped).size).toBe(1);
    expect(dropped[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(worker.stdout).toMatch(/12 done, 0 failed/);
    const tasks = await allTasks(server.client, 'repeat');
    expect(tasks.map((task) => task.state)).toEqual(Array(12).fill('done'));
    const attempts = await attemptsOf(server.client, tasks);
    for (const history of attempts.values()) expect(history.map((a) => a.outcome)).toEqual(['done']);
  });
});
