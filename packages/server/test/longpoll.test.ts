import { ManualClock, waitFor } from '@bottle/test-utils';
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

/** Resolves once the server holds `n` claims waiting for work. */
const untilWaiting = async (server: TestServer, n: number) => {
  await waitFor(() => server.server.router.waitingClaims === n, { what: `${n} waiting claims` });
};

const stores = await contractStores();

describe.each(stores)('long-poll claims ($name)', ({ startServer }) => {
  it('answers a waiting claim with a task as soon as one is submitted', async () => {
    t = await startServer();
    const waiting = waitingClaim(t);
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    // The claim reached the server and waits on an empty queue, unanswered.
    await untilWaiting(t, 1);
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
    await untilWaiting(t, 1);
    await t.call('POST', `/v1/tasks/${held.key}/release`, { leaseToken: held.leaseToken });
    const reply = await waiting;
    expect(reply.body.tasks).toEqual([expect.objectContaining({ key: held.key, attempt: 2 })]);
  });

  it('wakes a waiting claim when a retry backoff ends', async () => {
    const clock = new ManualClock();
    t = await startServer({ retryBackoffMs: 300, clock });
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
    const waiting = waitingClaim(t);
    await untilWaiting(t, 1);
    clock.advance(299);
    expect(t.server.router.waitingClaims).toBe(1);
    clock.advance(1);
    const reply = await waiting;
    expect(reply.body.tasks).toEqual([expect.objectContaining({ key: first.key, attempt: 2 })]);
  });

  it('wakes a waiting claim when another claim requeues expired leases', async () => {
    // No timer sweep: only claims expire leases here.
    const clock = new ManualClock();
    t = await startServer({ leaseMs: 300, heartbeatMs: 100, expiryCheckMs: 3_600_000, clock });
    await t.call('POST', '/v1/tasks', { tasks: specs(2) });
    const held = (await t.call('POST', '/v1/claim', { workerId: 'w0', host: 'h', max: 2, waitMs: 0 })).body
      .tasks;
    expect(held).toHaveLength(2);
    const waiting = t.call('POST', '/v1/claim', { workerId: 'wb', host: 'h', max: 1, waitMs: 15_000 });
    await untilWaiting(t, 1);
    clock.advance(400);
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
    await untilWaiting(server, 1);
    controller.abort();
    expect(await gone).toBe('aborted');
    // The server saw the hang-up: no claim waits for the submit.
    await untilWaiting(server, 0);
    await server.call('POST', '/v1/tasks', { tasks: specs(1) });
    const reply = await server.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 5_000 });
    expect(reply.body.tasks).toEqual([expect.objectContaining({ attempt: 1 })]);
    const detail = (await server.call('GET', `/v1/tasks/${reply.body.tasks[0].key}`)).body;
    expect(detail.attempts.map((a: { workerId: string }) => a.workerId)).toEqual(['w1']);
  });

  it('answers an empty claim when nothing arrives before waitMs', async () => {
    const clock = new ManualClock();
    t = await startServer({ clock });
    const waiting = waitingClaim(t, 200);
    await untilWaiting(t, 1);
    clock.advance(199);
    expect(t.server.router.waitingClaims).toBe(1);
    clock.advance(1);
    expect((await waiting).body.tasks).toEqual([]);
    expect(t.server.router.waitingClaims).toBe(0);
  });

  it('ends a waiting claim with no tasks when the server closes', async () => {
    t = await startServer();
    const waiting = waitingClaim(t, 120_000);
    await untilWaiting(t, 1);
    const closed = t.server.close();
    const reply = await waiting;
    expect(reply).toMatchObject({ status: 200, body: { tasks: [] } });
    await closed;
  });
});

describe.each(stores)('many waiting claims ($name)', ({ startServer }) => {
  it('hands one submit to hundreds of waiting claims, each its own tasks, each task to one claim', async () => {
    t = await startServer();
    const server = t;
    const waiters = 300;
    const claims = Array.from({ length: waiters }, (_, i) =>
      server.call('POST', '/v1/claim', { workerId: `w${i}`, host: 'h', max: 1 + (i % 3), waitMs: 60_000 }),
    );
    await untilWaiting(server, waiters);
    // Fewer tasks than the claims ask for in all: the queue runs dry part-way through the waiters.
    const total = 400;
    expect((await server.call('POST', '/v1/tasks', { tasks: specs(total) })).body.created).toBe(total);
    const more = await server.call('POST', '/v1/tasks', { tasks: specs(waiters, {}, 'examples/other.task') });
    expect(more.body.created).toBe(waiters);
    const replies = await Promise.all(claims);
    const keys = replies.flatMap((r) => r.body.tasks.map((x: { key: string }) => x.key));
    expect(new Set(keys).size).toBe(keys.length);
    replies.forEach((reply, i) => {
      expect(reply.status).toBe(200);
      expect(reply.body.tasks.length).toBeGreaterThan(0);
      expect(reply.body.tasks.length).toBeLessThanOrEqual(1 + (i % 3));
    });
    // Every lease handed out is recorded as running under the worker that was answered.
    const running = (await server.call('GET', '/v1/tasks?state=running&limit=1000')).body.tasks;
    expect(running).toHaveLength(keys.length);
    const owner = new Map(
      replies.flatMap((r, i) => r.body.tasks.map((x: { key: string }) => [x.key, `w${i}`])),
    );
    for (const task of running) expect(task.workerId).toBe(owner.get(task.key));
    expect(server.server.router.waitingClaims).toBe(0);
  });

  it('serves the longest-waiting claims first and keeps the rest waiting for the next submit', async () => {
    t = await startServer();
    const server = t;
    const first = Array.from({ length: 5 }, (_, i) =>
      server.call('POST', '/v1/claim', { workerId: `early${i}`, host: 'h', max: 1, waitMs: 60_000 }),
    );
    await untilWaiting(server, 5);
    const late = Array.from({ length: 5 }, (_, i) =>
      server.call('POST', '/v1/claim', { workerId: `late${i}`, host: 'h', max: 1, waitMs: 60_000 }),
    );
    await untilWaiting(server, 10);
    await server.call('POST', '/v1/tasks', { tasks: specs(5) });
    const early = await Promise.all(first);
    expect(early.map((r) => r.body.tasks.length)).toEqual([1, 1, 1, 1, 1]);
    expect(server.server.router.waitingClaims).toBe(5);
    await server.call('POST', '/v1/tasks', { tasks: specs(5, {}, 'examples/other.task') });
    const rest = await Promise.all(late);
    expect(rest.map((r) => r.body.tasks[0].task)).toEqual(Array(5).fill('examples/other.task'));
  });

  it('wakes waiting claims on a submit through server.submit, which validates like the route', async () => {
    t = await startServer();
    const server = t;
    const waiting = waitingClaim(server);
    await untilWaiting(server, 1);
    await expect(server.server.submit({ tasks: [{ task: '', params: {} }] })).rejects.toMatchObject({
      code: 'ERR_BAD_REQUEST',
    });
    await expect(server.server.submit({ tasks: [] })).rejects.toThrow(/tasks/);
    expect(server.server.router.waitingClaims).toBe(1);
    expect(await server.server.submit({ tasks: specs(2) })).toEqual({ created: 2, existing: 0, requeued: 0 });
    expect((await waiting).body.tasks).toHaveLength(2);
  });
});
