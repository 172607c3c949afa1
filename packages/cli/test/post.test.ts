import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('posting scans to a running server, with real processes', () => {
  it('a --retry-if-empty worker waits on an empty queue and runs a scan posted later with bottle post', async () => {
    scene = new Scene();
    const server = await scene.server();
    expect(server.child.stdout).toMatch(/0 tasks queued/);
    const worker = scene.worker(server.url, ['-x', '2', '--retry-if-empty']);
    await waitFor(async () => (await server.client.listWorkers()).workers.length === 1, {
      what: 'the worker to wait for work',
    });
    expect(worker.process.exitCode).toBeNull();

    const post = await scene.bottle(['post', 'sweep.small', '--server', server.url]);
    expect(post.code).toBe(0);
    expect(post.stdout).toMatch(/scan 'small': 5 new, 0 already known/);
    await waitFor(async () => (await allTasks(server.client)).every((task) => task.state === 'done'), {
      what: 'the waiting worker to run the posted scan',
    });
    const tasks = await scene.ls(server.url, ['--scan', 'small']);
    expect(tasks.map((task) => task.state)).toEqual(Array(5).fill('done'));
    expect(new Set(tasks.map((task) => task.workerId))).toEqual(new Set([expect.stringMatching(/.+/)]));

    // Still waiting after the work is done; the first SIGTERM stops it gracefully (130: interrupted).
    expect(worker.process.exitCode).toBeNull();
    expect(await worker.stop()).toBe(130);
    expect(worker.stdout).toMatch(/5 done, 0 failed/);
  });

  it('bottle post and bottle-worker --post print new and existing counts; --dry-run submits nothing', async () => {
    scene = new Scene();
    const server = await scene.server();
    const s = ['--server', server.url];

    const dry = await scene.bottle(['post', 'sweep.scan', '--dry-run', ...s]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/scan 'scan': 200 tasks \(dry run/);
    const workerDry = scene.worker(server.url, ['-p', 'sweep.slow', '--post', '--dry-run']);
    expect(await workerDry.exited).toBe(0);
    expect(workerDry.stdout).toMatch(/scan 'slow': 40 tasks \(dry run/);
    expect(await allTasks(server.client)).toEqual([]);

    const first = await scene.bottle(['post', 'sweep.small', ...s]);
    expect(first.stdout).toMatch(/scan 'small': 5 new, 0 already known/);
    const second = await scene.bottle(['post', 'sweep.small', ...s]);
    expect(second.stdout).toMatch(/scan 'small': 0 new, 5 already known/);
    const json = await scene.bottle(['post', 'sweep.small', '--json', ...s]);
    expect(JSON.parse(json.stdout)).toMatchObject({ scan: 'small', total: 5, created: 0, existing: 5 });

    const viaWorker = scene.worker(server.url, ['-p', 'sweep.slow', '--post']);
    expect(await viaWorker.exited).toBe(0);
    expect(viaWorker.stdout).toMatch(/scan 'slow': 40 new, 0 already known/);
    const again = scene.worker(server.url, ['-p', 'sweep.slow', '--post']);
    expect(await again.exited).toBe(0);
    expect(again.stdout).toMatch(/scan 'slow': 0 new, 40 already known/);

    const tasks = await allTasks(server.client);
    expect(tasks).toHaveLength(45);
    expect(tasks.every((task) => task.state === 'queued')).toBe(true);
  });

  it('a scan that cannot be loaded is a clear failure (exit 1) naming the module', async () => {
    scene = new Scene();
    const server = await scene.server();
    const missing = await scene.bottle(['post', 'nowhere.scan', '--server', server.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nowhere.*ERR_MODULE_NOT_FOUND/s);
    const noExport = await scene.bottle(['post', 'sweep.nope', '--server', server.url]);
    expect(noExport.code).toBe(1);
    expect(noExport.stderr).toMatch(/nope.*(scan|slow|small)/s);
  });
});
