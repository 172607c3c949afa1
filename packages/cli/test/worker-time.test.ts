import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('bottle-worker --max-time and --task-time', () => {
  it('releases the tasks it holds when its time is up, uncharged; another worker finishes them', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long'], { env: { SWEEP_MS: '3000' } });
    const first = scene.worker(server.url, ['-x', '2', '--max-time', '1s']);
    expect(await first.exited).toBe(0);
    expect(first.stdout).toMatch(/0 done, 0 failed in [\d.]+ s; 2 released to the queue/);
    expect(first.stderr).toMatch(/releasing the 2 task\(s\) it holds/);
    const second = scene.worker(server.url, ['-x', '4', '--quiet']);
    expect(await second.exited).toBe(0);
    expect(second.stdout).toMatch(/4 done, 0 failed/);
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state)).toEqual(['done', 'done', 'done', 'done']);
    const attempts = await attemptsOf(server.client, tasks);
    const released = [...attempts.values()].filter((list) => list[0]?.outcome === 'released');
    expect(released).toHaveLength(2);
    for (const task of tasks) expect((await server.client.getTask(task.key)).task.chargedAttempts).toBe(1);
  });

  it('claims nothing when a task takes longer than the time it has; a bad duration is a usage error', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.small']);
    const worker = scene.worker(server.url, ['--max-time', '1m', '--task-time', '2m']);
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/0 done, 0 failed/);
    expect(worker.stderr).toMatch(/less than a task takes: no more claims/);
    expect((await allTasks(server.client)).every((task) => task.state === 'queued')).toBe(true);
    const bad = scene.worker(server.url, ['--max-time', 'soon']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toMatch(/--max-time: "soon" is not a duration/);
  });
});
