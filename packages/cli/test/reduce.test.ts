import { startWebhookReceiver, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('reduce, with real processes', () => {
  it('a sweep posted with --reduce ends with its reduced answer, shown by bottle results --reduce and told by a webhook', async () => {
    scene = new Scene();
    const receiver = await startWebhookReceiver();
    scene.defer(() => receiver.close());
    const server = await scene.server(['--max-attempts', '1', '--notify', receiver.url]);
    const posted = await scene.bottle([
      'post',
      'sweep.small',
      '--reduce',
      'sweep.reduce',
      '--json',
      '--server',
      server.url,
    ]);
    expect(posted.code).toBe(0);
    const scan = JSON.parse(posted.stdout).scan as string;
    const none = await scene.bottle(['results', '--scan', scan, '--reduce', '--server', server.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no reduce task yet/);

    // A second scan whose reduce is a task class.
    const grid = ['post', 'sweep.Task', '--grid', 'n=1..4', '--scan', 'grid', '--reduce', 'sweep.Reduce'];
    expect((await scene.bottle([...grid, '--server', server.url])).code).toBe(0);
    expect(await scene.worker(server.url, ['-x', '2']).exited).toBe(0);
    expect((await scene.bottle(['wait', scan, 'grid', '--server', server.url])).code).toBe(0);
    // Queued within a read of the server's progress monitor after the scans' last tasks ended.
    const reduces = async () =>
      (await server.client.listTasks({ scan: `${scan}.reduce` })).tasks.length +
      (await server.client.listTasks({ scan: 'grid.reduce' })).tasks.length;
    await waitFor(async () => (await reduces()) === 2, { what: 'the reduce tasks' });
    expect(await scene.worker(server.url, ['-x', '1']).exited).toBe(0);
    const waited = await scene.bottle(['wait', `${scan}.reduce`, 'grid.reduce', '--server', server.url]);
    expect(waited.code).toBe(0);

    const reduced = async (name: string) => {
      const shown = await scene.bottle([
        'results',
        '--scan',
        name,
        '--reduce',
        '--format',
        'json',
        '--server',
        server.url,
      ]);
      expect(shown.code).toBe(0);
      return JSON.parse(shown.stdout);
    };
    expect(await reduced(scan)).toMatchObject({ scan, state: 'done', result: { tasks: 5, sum: 10 } });
    expect(await reduced('grid')).toMatchObject({ result: { form: 'class', tasks: 4, sum: 10 } });
    // The webhook tells when the reduced answer is there: the end of the reduce scan.
    const ended = () => receiver.deliveries.map((d) => JSON.parse(d.body).scan.name as string);
    await waitFor(() => ended().includes(`${scan}.reduce`), { what: 'the webhook of the reduce' });
    expect(ended()).toEqual(expect.arrayContaining([scan, 'grid', `${scan}.reduce`]));
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
