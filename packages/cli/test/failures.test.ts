import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('tasks that fail, with real processes', () => {
  it('a task that throws, exits, hangs past --timeout or lives outside the root is failed clearly; the worker goes on', async () => {
    scene = new Scene();
    // A module outside the worker root, which would leave a mark if it were ever loaded.
    const marker = join(scene.dir, 'outside-ran');
    writeFileSync(
      join(scene.dir, 'outside.mjs'),
      `import { writeFileSync } from 'node:fs';\nexport class Task { run() { writeFileSync(${JSON.stringify(marker)}, 'ran'); } }\n`,
    );
    const server = await scene.server(['--max-attempts', '1']);
    await server.client.submit(
      [
        { task: 'bad.Throws', params: { case: 'throws' } },
        { task: 'bad.Exits', params: { case: 'exits' } },
        { task: 'bad.Hangs', params: { case: 'hangs' } },
        { task: '../outside.Task', params: { case: 'outside' } },
        { task: 'sweep.Task', params: { n: 1 } },
        { task: 'sweep.Task', params: { n: 2 } },
      ],
      { scan: 'bad' },
    );
    const worker = scene.worker(server.url, ['-x', '2', '--timeout', '1']);
    // Tasks failed for good: the exit code says so.
    expect(await worker.exited).toBe(1);
    expect(worker.stdout).toMatch(/2 done, 4 failed/);

    const failed = await scene.ls(server.url, ['--state', 'failed']);
    const errorOf = (name: string) => failed.find((task) => task.params.case === name)?.error ?? '';
    expect(failed).toHaveLength(4);
    expect(errorOf('throws')).toMatch(/ERR_TASK_FAILED.*boom: this task always throws/s);
    expect(errorOf('exits')).toMatch(/ERR_TASK_FAILED.*exited with code 3/);
    expect(errorOf('exits')).toContain('about to exit with code 3');
    expect(errorOf('hangs')).toMatch(/ERR_TASK_TIMEOUT.*timeout/);
    expect(errorOf('outside')).toMatch(/ERR_MODULE_OUTSIDE_ROOT.*\.\.\/outside\.Task/);
    expect(existsSync(marker)).toBe(false);
    // The worker said so too, one line per failure.
    expect(worker.stderr.match(/failed: /g)).toHaveLength(4);
    const done = await scene.ls(server.url, ['--state', 'done']);
    expect(done).toHaveLength(2);
  });

  // A regression test: the worker once also died of an unhandled rejection here (its internal
  // stop() returned the rejecting run promise) and printed the raw stack after the CLI's message.
  it('a worker pointed at a server that does not run exits 1 with one clear message and no stack trace', async () => {
    scene = new Scene();
    const closed = await freePort();
    const worker = scene.worker(`http://127.0.0.1:${closed}`, ['-x', '2']);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${closed}.*ERR_SERVER_UNREACHABLE`));
    expect(worker.stderr).not.toMatch(/\n\s+at /);
    expect(worker.stderr).not.toMatch(/Node\.js v/);
  });
});
