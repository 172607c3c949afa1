/**
 * Resources through the real programs: bottle-server, a worker with a GPU and one without. GPU tasks
 * run only on the GPU worker, tasks that ask nothing on both, and a task no worker fits is shown so.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('resources and labels through bottle-server and bottle-worker', () => {
  it('runs GPU tasks only on the GPU worker, plain tasks on both, and shows a task no worker fits', async () => {
    scene = new Scene();
    writeFileSync(
      join(scene.root, 'gpu.yaml'),
      'task: sweep.Task\nscan: gpu\nparams: { n: "100..105", ms: 150 }\nresources: { gpus: 1 }\n',
    );
    writeFileSync(
      join(scene.root, 'big.yaml'),
      'task: sweep.Task\nscan: big\nparams: { n: 999 }\nresources: { gpus: 4 }\nneeds: [cuda12]\npriority: -3\n',
    );
    const server = await scene.server();
    for (const spec of ['gpu.yaml', 'big.yaml', 'sweep.slow']) {
      const posted = await scene.bottle(['post', spec, '--server', server.url]);
      expect(posted.code, posted.stderr).toBe(0);
    }
    // No CUDA_VISIBLE_DEVICES from the machine running the test: the plain worker has no GPU.
    const env = { CUDA_VISIBLE_DEVICES: undefined };
    const gpu = scene.worker(server.url, ['-x', '2', '--prefetch', '0', '--resources', 'gpus=1', '-q'], env);
    const plain = scene.worker(server.url, ['-x', '2', '--prefetch', '0', '-q'], env);
    // Each ends once the queue holds nothing it can take: the 4-GPU task stays queued.
    expect(await gpu.exited, gpu.stderr).toBe(0);
    expect(await plain.exited, plain.stderr).toBe(0);

    const { workers } = await server.client.listWorkers();
    const gpuWorker = workers.find((worker) => worker.resources?.['gpus'] === 1);
    const plainWorker = workers.find((worker) => worker !== gpuWorker);
    expect(gpuWorker?.resources?.['cpus']).toBeGreaterThan(0);
    expect(plainWorker?.resources?.['gpus']).toBeUndefined();

    const tasks = await allTasks(server.client);
    const gpuTasks = tasks.filter((task) => task.scan === 'gpu');
    expect(gpuTasks.map((task) => task.state)).toEqual(Array(6).fill('done'));
    expect(new Set(gpuTasks.map((task) => task.workerId))).toEqual(new Set([gpuWorker?.workerId]));
    const slow = tasks.filter((task) => task.scan === 'slow');
    expect(slow.every((task) => task.state === 'done')).toBe(true);
    expect(new Set(slow.map((task) => task.workerId))).toEqual(
      new Set([gpuWorker?.workerId, plainWorker?.workerId]),
    );

    // The workers were heard from lately: the 4-GPU task is told as one no worker fits.
    const [big] = await scene.ls(server.url, ['--scan', 'big']);
    expect(big).toMatchObject({ state: 'queued', unfit: true, resources: { gpus: 4 }, needs: ['cuda12'] });
    const table = await scene.bottle(['ls', '--scan', 'big', '--server', server.url]);
    expect(table.stdout).toMatch(/queued \(no worker fits\)/);
    expect(table.stdout).toMatch(/gpus=4 cuda12/);
    // A sweep file's priority, shown in its own column since it is not 0.
    expect(table.stdout).toMatch(/priority/);
    expect(big?.priority).toBe(-3);
    const shown = await scene.bottle(['show', big?.key ?? '', '--server', server.url]);
    expect(shown.stdout).toMatch(/needs {6}gpus=4 cuda12/);
    expect(shown.stdout).toMatch(/queued \(no worker heard from lately fits\)/);
    const listed = await scene.bottle(['workers', '--server', server.url]);
    expect(listed.stdout).toMatch(/gpus=1/);
  });

  it('refuses a bad --resources with a message that says how to write it', async () => {
    scene = new Scene();
    const run = scene.worker('http://127.0.0.1:9', ['--resources', 'gpus=two']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toMatch(/gpus=two is not an amount; write a number >= 0/);
  });
});
