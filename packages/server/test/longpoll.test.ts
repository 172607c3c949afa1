import { afterEach, describe, expect, it } from 'vitest';
import { call, specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const waitingClaim = (server: TestServer, waitMs = 60_000) =>
  server.call('POST', '/v1/claim', { ...worker, max: 5, waitMs });

const stores = await contractStores();

describe.each(stores)('long-poll claims ($name)', ({ startServer }) => {
  it('answers a waiting claim with a task as soon as one is submitted', async () => {
    t = await startServer();
    const waiting = waitingClaim(t);
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    // Let the claim reach the server and start waiting on an empty queue.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await t.call('POST', '/v1/tasks', { tasks: specs(2) });
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.body.tasks.map((x: { params: unknown }) => x.params)).toEqual([{ i: 0 }, { i: 1 }]);
  });

  it('wakes a waiting claim when a task is released', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const held = (await t.call('POST', '/v1/claim', { workerId: 'w0', host: 'h', max: 1, waitMs: 0 })).body
      .tasks[0];
    const waiting = waitingClaim(t);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await t.call('POST', `/v1/tasks/${held.key}/release`, { leaseToken: held.leaseToken });
    const reply = await waiting;
    expect(reply.body.tasks).toEqual([expect.objectContaining({ key: held.key, attempt: 2 })]);
  });

  it('wakes a waiting claim when a retry backoff ends', async () => {
    t = await startServer({ retryBackoffMs: 300 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    await t.call('POST', `/v1/tasks/${first.key}/fail`, {
      leaseToken: first.leaseToken,
      error: 'e',
      retryable: true,
    });
    // Right after the failure the task waits out its backoff...
    expect((await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks).toEqual([]);
    // ...and a waiting claim gets it when the backoff ends.
    const reply = await waitingClaim(t);
    expect(reply.body.tasks).toEqual([expect.objectContaining({ key: first.key, attempt: 2 })]);
  });

  it('wakes a waiting claim when another claim requeues expired leases', async () => {
    // No timer sweep: only claims expire leases here.
    t = await startServer({ leaseMs: 300, heartbeatMs: 100, expiryCheckMs: 3_600_000 });
    await t.call('POST', '/v1/tasks', { tasks: specs(2) });
    const held = (await t.call('POST', '/v1/claim', { workerId: 'w0', host: 'h', max: 2, waitMs: 0 })).body
      .tasks;
    expect(held).toHaveLength(2);
    const waiting = t.call('POST', '/v1/claim', { workerId: 'wb', host: 'h', max: 1, waitMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    // This claim expires both leases, takes one, and must let the waiting claim take the other.
    const taken = (await t.call('POST', '/v1/claim', { workerId: 'wa', host: 'h', max: 1, waitMs: 0 })).body
      .tasks;
    const woken = (await waiting).body.tasks;
    expect(taken).toHaveLength(1);
    expect(woken).toHaveLength(1);
    expect(new Set([taken[0].key, woken[0].key])).toEqual(new Set(held.map((x: { key: string }) => x.key)));
  });

  it('stops waiting for a client that hung up, so it is never handed a task', async () => {
    t = await startServer();
    const server = t;
    const controller = new AbortController();
    const gone = call(
      server.url,
      'POST',
      '/v1/claim',
      { workerId: 'gone', host: 'h', max: 1, waitMs: 60_000 },
      {
        signal: controller.signal,
      },
    ).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await gone).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.call('POST', '/v1/tasks', { tasks: specs(1) });
    const reply = await server.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 5_000 });
    expect(reply.body.tasks).toEqual([expect.objectContaining({ attempt: 1 })]);
    const detail = (await server.call('GET', `/v1/tasks/${reply.body.tasks[0].key}`)).body;
    expect(detail.attempts.map((a: { workerId: string }) => a.workerId)).toEqual(['w1']);
  });

  it('answers an empty claim when nothing arrives before waitMs', async () => {
    t = await startServer();
    const reply = await waitingClaim(t, 200);
    expect(reply.body.tasks).toEqual([]);
  });

  it('ends a waiting claim with no tasks when the server closes', async () => {
    t = await startServer();
    const waiting = waitingClaim(t, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = t.server.close();
    const reply = await waiting;
    expect(reply).toMatchObject({ status: 200, body: { tasks: [] } });
    await closed;
  });
});
