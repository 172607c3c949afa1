import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('reduce, with real processes', () => {
  it('a sweep posted with --reduce ends with its reduced answer, shown by bottle results --reduce', async () => {
    scene = new Scene();
    const server = await scene.server(['--max-attempts', '1']);
    const posted = await scene.bottle([
      'post',
      'sweep.small',
      '--reduce',
      'sweep.Reduce',
      '--json',
      '--server',
      server.url,
    ]);
    expect(posted.code).toBe(0);
    const scan = JSON.parse(posted.stdout).scan as string;
    const none = await scene.bottle(['results', '--scan', scan, '--reduce', '--server', server.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no reduce task yet/);

    // The reduce task reads the scan's results from the server its worker was given.
    const env = { BOTTLE_SERVER: server.url };
    expect(await scene.worker(server.url, ['-x', '2'], env).exited).toBe(0);
    expect((await scene.bottle(['wait', scan, '--server', server.url])).code).toBe(0);
    // Queued within a read of the server's progress monitor after the scan's last task ended.
    await waitFor(
      async () => (await server.client.listTasks({ scan: `${scan}.reduce` })).tasks.length === 1,
      {
        what: 'the reduce task',
      },
    );
    expect(await scene.worker(server.url, ['-x', '1'], env).exited).toBe(0);
    expect((await scene.bottle(['wait', `${scan}.reduce`, '--server', server.url])).code).toBe(0);

    const shown = await scene.bottle([
      'results',
      '--scan',
      scan,
      '--reduce',
      '--format',
      'json',
      '--server',
      server.url,
    ]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ scan, state: 'done', result: { tasks: 5, sum: 10 } });
    // The scan's own table is the five tasks, without the reduce.
    const table = await scene.bottle(['results', '--scan', scan, '--format', 'json', '--server', server.url]);
    expect(JSON.parse(table.stdout)).toHaveLength(5);
  });

  it('--reduce needs --scan', async () => {
    scene = new Scene();
    const server = await scene.server();
    const bad = await scene.bottle(['results', '--reduce', '--server', server.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/give --scan NAME/);
  });
});
