import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ManualClock, startWebhookReceiver, type WebhookReceiver, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await t?.close();
  await receiver?.close();
  t = undefined;
  receiver = undefined;
});

const stores = await contractStores();

const claimAll = async (server: TestServer, max: number) =>
  (await server.call('POST', '/v1/claim', { ...worker, max, waitMs: 0 })).body.tasks as Array<{
    key: string;
    leaseToken: string;
    params: { i: number };
  }>;

describe.each(stores)('telling a scan end once ($name)', ({ name, openStore, reopen }) => {
  it('the first to tell an end gets its completion digest; a repeat, a restart or another server gets null', async () => {
    let store = await openStore({ maxAttempts: 1 });
    try {
      await store.submit({ scan: 'e', tasks: specs(2) });
      expect(await store.tellScanEnd('e')).toBeNull();
      const [tasks = []] = await store.claim([{ ...worker, max: 2, waitMs: 0 }]);
      const fail = (task: (typeof tasks)[number]) =>
        ({
          outcome: 'failed',
          key: task.key,
          leaseToken: task.leaseToken,
          error: 'e',
          retryable: false,
        }) as const;
      await store.report(worker.workerId, tasks.map(fail));
      const first = await store.tellScanEnd('e');
      expect(first).toMatch(/^[0-9a-f]{32}$/);
      expect(await store.tellScanEnd('e')).toBeNull();
      if (name === 'postgres') {
        const other = await reopen(store);
        expect(await other.tellScanEnd('e')).toBeNull();
        await other.close();
      } else {
        await store.close();
        store = await reopen(store);
        expect(await store.tellScanEnd('e')).toBeNull();
      }
      // Ended again after a rerun: another end, told again.
      await store.rerunScan('e', 'failed');
      const [again = []] = await store.claim([{ ...worker, max: 2, waitMs: 0 }]);
      await store.report(worker.workerId, again.map(fail));
      const second = await store.tellScanEnd('e');
      expect(second).toMatch(/^[0-9a-f]{32}$/);
      expect(second).not.toBe(first);
    } finally {
      await store.close();
    }
  });
});

describe.each(stores)('webhooks ($name)', ({ startServer }) => {
  it('POSTs signed events when a task fails for good and when the scan ends, retrying a refused delivery', async () => {
    receiver = await startWebhookReceiver((_delivery, res, n) => {
      res.statusCode = n === 1 ? 503 : 204;
      res.end();
    });
    const clock = new ManualClock();
    t = await startServer({
      clock,
      maxAttempts: 1,
      notify: { urls: [receiver.url], secret: 's3cret', taskFailures: true, retryDelayMs: 1_000 },
    });
    await t.server.router.queue.monitor.refresh();
    await t.call('POST', '/v1/tasks', { scan: 'hooked', tasks: specs(2) });
    const [a, b] = await claimAll(t, 2);
    await t.call('POST', `/v1/tasks/${a?.key}/complete`, { leaseToken: a?.leaseToken, result: 1 });
    await t.call('POST', `/v1/tasks/${b?.key}/fail`, {
      leaseToken: b?.leaseToken,
      error: 'boom',
      retryable: false,
    });
    // The failure is told at once; the receiver refuses it.
    const deliveries = receiver.deliveries;
    await waitFor(() => deliveries.length === 1, { what: 'the first delivery' });
    // The retry's delay and the monitor's next read both come with the clock.
    clock.advance(1_000);
    await waitFor(() => deliveries.length === 3, { what: 'the retry and the scan end' });

    for (const delivery of deliveries) {
      const expected = `sha256=${createHmac('sha256', 's3cret').update(delivery.body).digest('hex')}`;
      expect(delivery.headers['x-bottle-signature-256']).toBe(expected);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-bottle-event']).toBe(JSON.parse(delivery.body).type);
    }
    const events = deliveries.map((d) => JSON.parse(d.body));
    const failed = events.filter((e) => e.type === 'task.failed');
    expect(failed).toHaveLength(2);
    // A retry is the same delivery: same id, same body.
    expect(deliveries.filter((d) => d.body === deliveries[0]?.body)).toHaveLength(2);
    expect(failed[0]).toMatchObject({
      id: deliveries[0]?.headers['x-bottle-delivery'],
      task: { key: b?.key, scan: 'hooked', params: b?.params, error: 'boom', workerId: worker.workerId },
    });
    const ended = events.find((e) => e.type === 'scan.ended');
    expect(ended).toMatchObject({
      scan: { name: 'hooked', total: 2, counts: { done: 1, failed: 1, queued: 0, running: 0 } },
    });
    expect(typeof ended.at).toBe('number');
    // One end has one id, whichever server tells it: the scan and its completion digest.
    expect(ended.id).toMatch(/^hooked:[0-9a-f]{32}$/);
  });

  it('a receiver that never answers holds up no claim nor report, and retryable failures are not told', async () => {
    const held: ServerResponse[] = [];
    receiver = await startWebhookReceiver((_delivery, res) => {
      held.push(res);
    });
    t = await startServer({ maxAttempts: 2, notify: { urls: [receiver.url], taskFailures: true } });
    await t.call('POST', '/v1/tasks', { scan: 'slow-hook', tasks: specs(1) });
    const [first] = await claimAll(t, 1);
    // Retryable with an attempt left: not a failure for good, nothing is sent.
    await t.call('POST', `/v1/tasks/${first?.key}/fail`, {
      leaseToken: first?.leaseToken,
      error: 'flaky',
      retryable: true,
    });
    const [second] = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 60_000 })).body.tasks;
    await t.call('POST', `/v1/tasks/${second.key}/fail`, {
      leaseToken: second.leaseToken,
      error: 'flaky again',
      retryable: true,
    });
    // Out of attempts: failed for good, told to a receiver that holds the request open...
    await waitFor(() => held.length === 1, { what: 'the held delivery' });
    expect(JSON.parse(receiver.deliveries[0]?.body ?? '{}')).toMatchObject({
      type: 'task.failed',
      task: { error: 'flaky again', attempts: 2 },
    });
    expect(receiver.deliveries[0]?.headers['x-bottle-signature-256']).toBeUndefined();
    // ...while the queue goes on answering.
    await t.call('POST', '/v1/tasks', { scan: 'slow-hook', tasks: specs(1, { params: { i: 99 } }) });
    const [third] = await claimAll(t, 1);
    const done = await t.call('POST', `/v1/tasks/${third?.key}/complete`, { leaseToken: third?.leaseToken });
    expect(done.status).toBe(200);
  });

  it('refuses a notify URL that is not http(s) with ERR_USAGE', async () => {
    await expect(startServer({ notify: { urls: ['ftp://127.0.0.1/x'] } })).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
  });
});
