import { createHmac } from 'node:crypto';
import { startWebhookReceiver, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

describe('bottle-server --notify, with real processes', () => {
  it('a sweep ends with a signed webhook at a receiver, and bottle wait returns', async () => {
    scene = new Scene();
    const receiver = await startWebhookReceiver();
    scene.defer(() => receiver.close());
    const url = receiver.url;
    const server = await scene.server(['--notify', url], { env: { BOTTLE_NOTIFY_SECRET: 'from-env' } });
    await server.client.submit(
      [1, 2, 3].map((n) => ({ task: 'sweep.Task', params: { n } })),
      { scan: 'hooked' },
    );
    const worker = scene.worker(server.url, ['-x', '2']);
    expect((await scene.bottle(['wait', 'hooked', '--server', server.url])).code).toBe(0);
    expect(await worker.exited).toBe(0);
    await waitFor(() => receiver.deliveries.length === 1, { what: 'the webhook' });
    const [delivery] = receiver.deliveries;
    expect(JSON.parse(delivery?.body ?? '')).toMatchObject({
      type: 'scan.ended',
      scan: { name: 'hooked', total: 3, counts: { done: 3 } },
    });
    expect(delivery?.headers['x-bottle-signature-256']).toBe(
      `sha256=${createHmac('sha256', 'from-env')
        .update(delivery?.body ?? '')
        .digest('hex')}`,
    );
  });

  it('a bad --notify is a usage error', async () => {
    scene = new Scene();
    const bad = scene.spawn('bottle-server', [
      '--db',
      scene.db,
      '--port',
      '0',
      '--notify',
      'mailto:me@example.com',
    ]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toMatch(/'mailto:me@example.com' is not an http:\/\/ or https:\/\/ URL/);
    const lone = scene.spawn('bottle-server', ['--db', scene.db, '--port', '0', '--notify-secret', 'x']);
    expect(await lone.exited).toBe(2);
    expect(lone.stderr).toMatch(/--notify-secret needs --notify URL/);
  });
});
