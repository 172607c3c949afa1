// `bottle search` through the real bins: the example reaches its target, and a search survives a
// kill -9 of its controller and of the server, running each parameter set once.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashParams } from '@bottle/protocol';
import { freePort, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, repoRoot, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

const toldLog = () =>
  readFileSync(join(scene.root, 'told.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { x: number; state: string; value: number });

describe('bottle search', () => {
  it('examples/quadratic.search gets within 0.1 of the optimum in 28 to 36 tasks, across two workers', async () => {
    scene = new Scene();
    mkdirSync(join(scene.root, 'examples'));
    cpSync(join(repoRoot, 'examples/quadratic.ts'), join(scene.root, 'examples/quadratic.ts'));
    const server = await scene.server();
    const workers = [
      scene.worker(server.url, ['--retry-if-empty']),
      scene.worker(server.url, ['--retry-if-empty']),
    ];
    const run = await scene.bottle(['search', 'examples/quadratic.search', '--server', server.url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout);
    // Seed 7 draws its first point within 0.1 at the 28th proposal; 3 more may be in flight then, and
    // each task that ends before the 28th is told is replaced by a new one (a few, across two workers).
    expect(outcome).toMatchObject({ scan: 'quadratic.search', reason: 'target' });
    expect(outcome.told).toBeGreaterThanOrEqual(28);
    expect(outcome.told).toBeLessThanOrEqual(36);
    expect(outcome.best.value).toBeLessThanOrEqual(0.1);
    const { x, y } = outcome.best.params;
    expect((x - 1.5) ** 2 + (y + 0.5) ** 2).toBeCloseTo(outcome.best.value, 12);
    // Its output folder, named by the parameters' hash, holds what the task wrote.
    const lossFile = join(scene.root, 'out', outcome.best.paramsHash, 'loss.txt');
    expect(Number(readFileSync(lossFile, 'utf8'))).toBe(outcome.best.value);
    const tasks = await allTasks(server.client, 'quadratic.search');
    expect(tasks.length).toBe(outcome.told);
    for (const worker of workers) await worker.kill9();

    // The scan records the search's objective: results and status rank by it with no flag.
    expect((await server.client.getScan('quadratic.search')).objective).toEqual({ minimize: 'loss' });
    // The best three, best first; the first is the search's best.
    const results = await scene.bottle([
      ...['results', '--scan', 'quadratic.search', '--best', '3'],
      ...['--format', 'json', '--server', server.url],
    ]);
    expect(results.code, results.stderr).toBe(0);
    const rows = JSON.parse(results.stdout) as Array<{ loss: number; paramsHash: string }>;
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ loss: outcome.best.value, paramsHash: outcome.best.paramsHash });
    const losses = tasks.map((task) => (task.result as { loss: number }).loss).sort((a, b) => a - b);
    expect(rows.map((row) => row.loss)).toEqual(losses.slice(0, 3));
    // A flag overrides the scan's objective: the highest losses first.
    const worst = await scene.bottle([
      ...['results', '--scan', 'quadratic.search', '--best', '1', '--maximize', 'loss'],
      ...['--format', 'json', '--server', server.url],
    ]);
    expect(worst.code, worst.stderr).toBe(0);
    expect((JSON.parse(worst.stdout) as Array<{ loss: number }>)[0]?.loss).toBe(losses.at(-1));
    const status = await scene.bottle(['status', 'quadratic.search', '--server', server.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `best loss ${outcome.best.value} at ${JSON.stringify(outcome.best.params)}`,
    );
    const usage = await scene.bottle(['results', '--best', '3', '--server', server.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--best K ranks by a result field: add --scan NAME .* or --minimize FIELD/);
  });

  it('survives kill -9 of the controller and of the server: replays, resumes, runs each set once', async () => {
    scene = new Scene();
    const port = await freePort();
    let server = await scene.server([], { port });
    const search = () => scene.spawn('bottle', ['search', 'search.steps', '--server', server.url, '--json']);
    const queued = (n: number) => async () =>
      (await allTasks(server.client, 'search.steps')).filter((task) => task.state === 'queued').length === n;

    // No worker yet: the controller submits maxParallel (4) tasks and waits. Kill it.
    const first = search();
    await waitFor(queued(4), { what: 'the first 4 tasks' });
    expect(await first.kill9()).toBe('SIGKILL');
    // A worker runs them with no controller, and stops on the empty queue.
    expect(await scene.worker(server.url).exited).toBe(0);
    const ranFirst = (await allTasks(server.client, 'search.steps')).sort(
      (a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0),
    );
    expect(ranFirst.map((task) => task.params['x']).sort()).toEqual([0, 1, 2, 3]);

    // Restarted: it tells the 4 results in their finishing order, then submits the next 4.
    const second = search();
    await waitFor(queued(4), { what: 'the next 4 tasks' });
    const replay = toldLog().slice(0, 4);
    expect(replay.map((line) => line.x)).toEqual(ranFirst.map((task) => task.params['x']));
    expect(replay.every((line) => line.state === 'done')).toBe(true);

    // The server dies with 4 tasks queued; restarted on the same file, the controller follows again,
    // and two workers share the rest.
    await server.child.kill9();
    server = await scene.server([], { port });
    const workers = [
      scene.worker(server.url, ['--retry-if-empty']),
      scene.worker(server.url, ['--retry-if-empty']),
    ];
    expect(await second.exited, second.stderr).toBe(0);
    for (const worker of workers) await worker.kill9();
    const outcome = JSON.parse(second.stdout);
    expect(outcome).toMatchObject({ reason: 'budget', told: 12, best: { value: 0, params: { x: 7 } } });
    // The best set's output folder, named by its parameters' hash, holds what its task printed.
    expect(outcome.best.paramsHash).toBe(hashParams({ x: 7 }));
    expect(existsSync(join(scene.root, 'out', outcome.best.paramsHash))).toBe(true);
    const tasks = await allTasks(server.client, 'search.steps');
    expect(tasks.map((task) => task.params['x']).sort((a, b) => Number(a) - Number(b))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(tasks.every((task) => task.state === 'done' && task.attempts === 1)).toBe(true);
    expect(existsSync(join(scene.root, 'told.log'))).toBe(true);
  });

  it('runs inside bottle-server -p across two workers, and goes on after a kill -9 of the server', async () => {
    scene = new Scene();
    const port = await freePort();
    let server = await scene.server(['-p', 'search.slowSteps'], { port });
    expect(server.child.stdout).toContain("search 'search.slowSteps': 12 tasks at most, 2 at a time");
    const workers = [
      scene.worker(server.url, ['--retry-if-empty']),
      scene.worker(server.url, ['--retry-if-empty']),
    ];
    const done = async () =>
      (await allTasks(server.client, 'search.slowSteps')).filter((task) => task.state === 'done').length;
    await waitFor(async () => (await done()) >= 4, { what: '4 tasks done' });
    await server.child.kill9();
    // Killed midway: 4 or 5 of 12 done (tasks take 200 ms, 2 at a time), the search not ended.
    expect(server.child.stdout).not.toMatch(/spent its budget/);

    // Started again with the same -p: it replays the scan's results and goes on; the workers come back.
    server = await scene.server(['-p', 'search.slowSteps'], { port });
    await server.child.waitForOutput(/search 'search\.slowSteps' spent its budget after 12 tasks/, 60_000);
    for (const worker of workers) await worker.kill9();
    const best = hashParams({ x: 7 });
    expect(server.child.stdout).toContain('bottle-server: best loss: 0\n');
    expect(server.child.stdout).toContain('bottle-server: params: {"x":7}\n');
    expect(server.child.stdout).toContain(`bottle-server: output: out/${best} `);
    expect(existsSync(join(scene.root, 'out', best))).toBe(true);
    const tasks = await allTasks(server.client, 'search.slowSteps');
    expect(tasks.map((task) => task.params['x']).sort((a, b) => Number(a) - Number(b))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(tasks.every((task) => task.state === 'done')).toBe(true);
    // Inside the server too, the scan records the search's objective.
    expect((await server.client.getScan('search.slowSteps')).objective).toEqual({ minimize: 'loss' });
  });

  it('a search file names a built-in strategy: no code beyond the task', async () => {
    scene = new Scene();
    writeFileSync(
      join(scene.root, 'refine.yaml'),
      [
        'task: search.Task',
        'objective: { minimize: loss }',
        'budget: { maxTasks: 20, maxParallel: 5 }',
        'strategy: { gridRefinement: { points: 5, rounds: 2 } }',
        'space:',
        '  x: { int: [0, 11] }',
        '',
      ].join('\n'),
    );
    const server = await scene.server();
    const worker = scene.worker(server.url, ['--retry-if-empty']);
    const run = await scene.bottle(['search', 'refine.yaml', '--server', server.url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    await worker.kill9();
    // Round 1: x = 0, 3, 6, 8, 11; round 2 around whichever of 6 and 8 was told first: 3, 5, 6, 7, 9 or
    // 5, 7, 8, 9, 11. Either way 8 tasks, and x = 7 among them.
    const outcome = JSON.parse(run.stdout);
    expect(outcome).toMatchObject({
      scan: 'refine',
      reason: 'exhausted',
      told: 8,
      best: { value: 0, params: { x: 7 } },
    });
    const xs = (await allTasks(server.client, 'refine')).map((task) => task.params['x']);
    expect(xs.sort((a, b) => Number(a) - Number(b))).toEqual([0, 3, 5, 6, 7, 8, 9, 11]);
  });

  it('a module whose search() is not a search exits 1 with ERR_BAD_SEARCH and submits nothing', async () => {
    scene = new Scene();
    const server = await scene.server();
    const run = await scene.bottle(['search', 'search.broken', '--server', server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/search\.broken: objective must be .* \[ERR_BAD_SEARCH\]/);
    expect(await allTasks(server.client)).toEqual([]);
  });
});
