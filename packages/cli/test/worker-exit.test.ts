import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

/** A task that fails on its first attempt and succeeds on the next (a marker file tells them apart). */
function writeFlaky(root: string): void {
  writeFileSync(
    join(root, 'flaky.mjs'),
    `import { existsSync, writeFileSync } from 'node:fs';
export class Task {
  constructor(params) { this.params = params; }
  run() {
    const marker = ${JSON.stringify(join(root, 'flaky-ran-'))} + this.params.n;
    if (existsSync(marker)) return { n: this.params.n };
    writeFileSync(marker, 'once');
    throw new Error('first attempt fails');
  }
}
`,
  );
}

describe('bottle-worker: retries waiting, exit codes, the summary in tasks', () => {
  it('waits for a task backed off for a retry instead of exiting; the summary counts tasks; exit 0', async () => {
    scene = new Scene();
    writeFlaky(scene.root);
    const server = await scene.server(['--max-attempts', '3']);
    await server.client.submit([{ task: 'flaky.Task', params: { n: 1 } }], { scan: 'flaky' });
    const worker = scene.worker(server.url, ['--quiet']);
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/1 done, 0 failed \(1 failed attempt requeued\)/);
    const [task] = await allTasks(server.client, 'flaky');
    expect(task?.state).toBe('done');
    expect(task?.attempts).toBe(2);
  });

  it('exits 1 when a task it ran failed for good, and counts it once', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '2']);
    await server.client.submit(
      [
        { task: 'bad.Throws', params: { case: 'throws' } },
        { task: 'sweep.Task', params: { n: 1 } },
      ],
      { scan: 'mixed' },
    );
    const worker = scene.worker(server.url, ['--quiet']);
    expect(await worker.exited).toBe(1);
    expect(worker.stdout).toMatch(/1 done, 1 failed \(1 failed attempt requeued\)/);
    const tasks = await allTasks(server.client, 'mixed');
    expect(tasks.map((task) => task.state).sort()).toEqual(['done', 'failed']);
  });
});
