import { ManualClock, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const short = { leaseMs: 400, heartbeatMs: 100, expiryCheckMs: 50 };

const stores = await contractStores();

/** Resolves once the server holds `n` claims waiting for work. */
const untilWaiting = (server: TestServer, n: number) =>
  waitFor(() => server.server.router.waitingClaims === n, { what: `${n} waiting claims` });

describe.each(stores)('lease expiry ($name)', ({ startServer }) => {
  it('requeues a task whose lease expired, recording the attempt as lost in its history and its scan', async () => {
    const clock = new ManualClock();
    t = await startServer({ ...short, clock });
    await t.call('POST', '/v1/tasks', { tasks: specs(1), scan: 's' });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    // The worker vanishes; another worker's waiting claim gets the task once the lease expires.
    const waiting = t.call('POST', '/v1/claim', { workerId: 'w2', host: 'h2', max: 1, waitMs: 10_000 });
    await untilWaiting(t, 1);
    clock.advance(short.leaseMs);
    const second = (await waiting).body.tasks[0];
    expect(second).toMatchObject({ key: first.key, attempt: 2 });
    const detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    expect(detail.attempts).toEqual([
      expect.objectContaining({ attempt: 1, workerId: 'w1', outcome: 'lost', endedAt: first.leaseExpiresAt }),
      expect.objectContaining({ attempt: 2, workerId: 'w2', outcome: 'running', endedAt: null }),
    ]);
    expect((await t.call('GET', '/v1/scans/s')).body).toMatchObject({
      lostAttempts: 1,
      counts: { running: 1 },
    });
    // The vanished worker's heartbeat learns that the task is no longer its own.
    const beat = await t.call('POST', '/v1/heartbeat', {
      ...worker,
      leases: [{ key: first.key, leaseToken: first.leaseToken }],
    });
    expect(beat.body).toMatchObject({ extended: [], cancelled: [], finished: [], lost: [first.key] });
  });

  it('expires a stale lease at claim time, without waiting for the timer', async () => {
    const clock = new ManualClock();
    t = await startServer({ leaseMs: 200, heartbeatMs: 50, expiryCheckMs: 3_600_000, clock });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    clock.advance(300);
    // The timer will not run for an hour; the lease is already stale, and the task still shows running.
    expect((await t.call('GET', `/v1/tasks/${first.key}`)).body.task.state).toBe('running');
    const stale = await t.call('POST', `/v1/tasks/${first.key}/complete`, { leaseToken: first.leaseToken });
    expect(stale.status).toBe(409);
    const again = (await t.call('POST', '/v1/claim', { workerId: 'w2', host: 'h2', max: 1, waitMs: 0 })).body
      .tasks;
    expect(again).toEqual([expect.objectContaining({ key: first.key, attempt: 2 })]);
  });

  it('keeps a heartbeating task leased past its first expiry', async () => {
    const clock = new ManualClock();
    t = await startServer({ leaseMs: 1_000, heartbeatMs: 300, expiryCheckMs: 50, clock });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const task = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    const lease = { key: task.key, leaseToken: task.leaseToken };
    for (let i = 0; i < 6; i++) {
      clock.advance(300);
      const beat = await t.call('POST', '/v1/heartbeat', { ...worker, leases: [lease] });
      expect(beat.body.extended).toEqual([task.key]);
    }
    // 1.8 s after the claim, well past the first lease: still held, and completable.
    const done = await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(done.status).toBe(200);
  });

  it('fails a task whose leases keep expiring once its attempts are used up', async () => {
    const clock = new ManualClock();
    t = await startServer({ ...short, maxAttempts: 2, clock });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    clock.advance(short.leaseMs);
    // A waiting claim: the sweep the clock set off may hold the row while this claim looks (PostgreSQL
    // skips locked rows), and then wakes the claim when it has requeued the task.
    const second = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 10_000 })).body.tasks[0];
    expect(second.attempt).toBe(2);
    // The sweep, not a claim, fails it.
    clock.advance(short.leaseMs);
    const server = t;
    const detail = await waitFor(async () => {
      const body = (await server.call('GET', `/v1/tasks/${first.key}`)).body;
      return body.task.state === 'failed' && body;
    });
    expect(detail.task.error).toMatch(/lease expired/);
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'lost']);
    expect((await t.call('GET', '/v1/scans/default')).body.lostAttempts).toBe(2);
    expect((await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks).toEqual([]);
  });
});
