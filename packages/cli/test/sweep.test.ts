import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, countDone, Scene, type ServerHandle } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

/** Each task has exactly one `done` attempt on record. */
async function expectOneCompletionEach(scene: Scene, server: Pick<ServerHandle, 'url' | 'client'>) {
  const tasks = await scene.ls(server.url);
  expect(tasks.every((task) => task.state === 'done')).toBe(true);
  const attempts = await attemptsOf(server.client, tasks);
  for (const task of tasks) {
    const done = (attempts.get(task.key) ?? []).filter((a) => a.outcome === 'done');
    expect(done, `task ${task.key} (${JSON.stringify(task.params)})`).toHaveLength(1);
  }
  return tasks;
}

describe('a sweep with real processes', () => {
  it('server plus two workers (-x 4) run a 200-task scan: every task done once, a folder for each task that printed', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.scan']);
    expect(server.child.stdout).toMatch(/200 new tasks, 0 already known/);
    const workers = [scene.worker(server.url, ['-x', '4']), scene.worker(server.url, ['-x', '4'])];
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    const summaries = workers.map((w) => w.stdout.match(/(\d+) done, (\d+) failed/));
    expect(summaries.map((m) => Number(m?.[2]))).toEqual([0, 0]);
    expect(summaries.reduce((sum, m) => sum + Number(m?.[1]), 0)).toBe(200);

    // One attempt each, and that attempt is the recorded completion.
    const tasks = await scene.ls(server.url);
    expect(tasks).toHaveLength(200);
    expect(tasks.filter((task) => task.state !== 'done' || task.attempts !== 1)).toEqual([]);
    const show = await scene.bottle(['show', tasks[0]?.key as string, '--json', '--server', server.url]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).attempts).toMatchObject([{ attempt: 1, outcome: 'done' }]);

    // The tasks that printed have their folder; the others left nothing on disk.
    const out = join(scene.root, 'out');
    const dirs = readdirSync(out);
    const printed = tasks.filter((task) => (task.params.n as number) % 2 === 0);
    expect(dirs.sort()).toEqual(printed.map((task) => task.paramsHash).sort());
    for (const task of printed) {
      const dir = join(out, task.paramsHash);
      expect(readdirSync(dir).sort()).toEqual(['params.json', 'result.json', 'status.json', 'stdout.log']);
      expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(`task ${task.params.n}\n`);
      expect(JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'))).toEqual(task.params);
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))).toMatchObject({
        state: 'done',
        key: task.key,
        attempt: 1,
      });
    }
  });

  it('kill -9 of a worker mid-run: another worker finishes everything once the leases expire', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.slow', '--lease', '1']);
    const first = scene.worker(server.url, ['-x', '4']);
    await waitFor(async () => (await countDone(server.client)) >= 6, {
      what: 'the first worker to get going',
    });
    await waitFor(async () => (await allTasks(server.client)).some((t) => t.state === 'running'), {
      what: 'tasks held by the first worker',
    });
    expect(await first.kill9()).toBe('SIGKILL');

    const second = scene.worker(server.url, ['-x', '4', '--retry-if-empty']);
    await waitFor(async () => (await countDone(server.client)) === 40, {
      what: 'the second worker to finish the sweep, the orphaned tasks included',
    });
    expect(await second.stop()).toBe(130);
    const tasks = await expectOneCompletionEach(scene, server);
    expect(tasks).toHaveLength(40);
    const attempts = await attemptsOf(server.client, tasks);
    // The tasks the killed worker held were handed out again after their leases expired.
    const lost = [...attempts.values()].flat().filter((a) => a.outcome === 'lost');
    expect(lost.length).toBeGreaterThan(0);
  });

  it('the server killed -9 and restarted on the same port and db: the workers carry on, nothing lost', async () => {
    scene = new Scene();
    const port = await freePort();
    const args = ['-p', 'sweep.slow', '--lease', '2'];
    const server = await scene.server(args, { port });
    const workers = [scene.worker(server.url, ['-x', '2']), scene.worker(server.url, ['-x', '2'])];
    await waitFor(async () => (await countDone(server.client)) >= 6, { what: 'the workers to get going' });
    await server.child.kill9();
    // The workers keep running their tasks and retry with backoff while the server is away.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const again = await scene.server(args, { port });
    expect(again.child.stdout).toMatch(/0 new tasks, 40 already known/);
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    const tasks = await expectOneCompletionEach(scene, again);
    expect(tasks).toHaveLength(40);
    for (const task of tasks) {
      const printed = (task.params.n as number) % 2 === 0;
      expect(existsSync(join(scene.root, 'out', task.paramsHash, 'status.json'))).toBe(printed);
    }
  });
});
