import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, Scene, type ServerHandle } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

const running = async (server: ServerHandle) =>
  (await allTasks(server.client)).filter((task) => task.state === 'running').length;

describe('stopping a worker with signals, with real processes', () => {
  it('the first SIGTERM stops claiming and lets running tasks finish (exit 130)', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long']);
    const worker = scene.worker(server.url, ['-x', '2']);
    await waitFor(async () => (await running(server)) === 2, { what: 'two tasks to run' });
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toBe(130);
    expect(worker.stderr).toMatch(/stopping: no new tasks/);
    expect(worker.stdout).toMatch(/2 done, 0 failed/);
    const states = (await allTasks(server.client)).map((task) => task.state).sort();
    expect(states).toEqual(['done', 'done', 'queued', 'queued']);
  });

  it('a second SIGTERM kills the running tasks and releases their leases at once', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long'], { env: { SWEEP_MS: '60000' } });
    const worker = scene.worker(server.url, ['-x', '2']);
    await waitFor(async () => (await running(server)) === 2, { what: 'two tasks to run' });
    worker.process.kill('SIGTERM');
    await worker.waitForOutput(/stopping: no new tasks/);
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toBe(130);
    expect(worker.stderr).toMatch(/killing running tasks and releasing their leases/);
    // Released, not expired: queued again at once, although the lease (30 s by default) still ran.
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state)).toEqual(Array(4).fill('queued'));
  });

  // A terminal's Ctrl-C signals the whole foreground process group, not only the worker.
  it('Ctrl-C to the whole process group: running tasks finish, uncharged (exit 130)', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long']);
    const worker = scene.worker(server.url, ['-x', '2'], {}, true);
    await waitFor(async () => (await running(server)) === 2, { what: 'two tasks to run' });
    process.kill(-(worker.process.pid as number), 'SIGINT');
    expect(await worker.exited).toBe(130);
    expect(worker.stdout).toMatch(/2 done, 0 failed/);
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state).sort()).toEqual(['done', 'done', 'queued', 'queued']);
    for (const task of tasks) {
      const outcomes = (await server.client.getTask(task.key)).attempts.map((a) => a.outcome);
      expect(outcomes.filter((outcome) => outcome !== 'released')).toEqual(
        task.state === 'done' ? ['done'] : [],
      );
    }
  });

  it('Ctrl-C twice to the whole process group: running tasks are released, not charged', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long'], { env: { SWEEP_MS: '60000' } });
    const worker = scene.worker(server.url, ['-x', '2'], {}, true);
    await waitFor(async () => (await running(server)) === 2, { what: 'two tasks to run' });
    process.kill(-(worker.process.pid as number), 'SIGINT');
    await worker.waitForOutput(/stopping: no new tasks/);
    process.kill(-(worker.process.pid as number), 'SIGINT');
    expect(await worker.exited).toBe(130);
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state)).toEqual(Array(4).fill('queued'));
    for (const task of tasks) {
      const outcomes = (await server.client.getTask(task.key)).attempts.map((a) => a.outcome);
      expect(outcomes.every((outcome) => outcome === 'released')).toBe(true);
    }
  });
});
