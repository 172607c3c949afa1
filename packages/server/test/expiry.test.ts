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

describe.each(stores)('lease expiry ($name)', ({ startServer }) => {
  it('requeues a task whose lease expired, recording the attempt as lost in its history and its scan', async () => {
    t = await startServer(short);
    await t.call('POST', '/v1/tasks', { tasks: specs(1), scan: 's' });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    // The worker vanishes; another worker's waiting claim gets the task once the lease expires.
    const second = (await t.call('POST', '/v1/claim', { workerId: 'w2', host: 'h2', max: 1, waitMs: 10_000 }))
      .body.tasks[0];
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
    expect(beat.body).toMatchObject({ extended: [], cancelled: [], lost: [first.key] });
  });

  it('expires a stale lease at claim time, without waiting for the timer', async () => {
    t = await startServer({ leaseMs: 200, heartbeatMs: 50, expiryCheckMs: 3_600_000 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The timer will not run for an hour; the lease is already stale, and the task still shows running.
    const stale = await t.call('POST', `/v1/tasks/${first.key}/complete`, { leaseToken: first.leaseToken });
    expect(stale.status).toBe(409);
    const again = (await t.call('POST', '/v1/claim', { workerId: 'w2', host: 'h2', max: 1, waitMs: 0 })).body
      .tasks;
    expect(again).toEqual([expect.objectContaining({ key: first.key, attempt: 2 })]);
  });

  it('keeps a heartbeating task leased past its first expiry', async () => {
    t = await startServer({ leaseMs: 1_000, heartbeatMs: 300, expiryCheckMs: 50 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const task = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    const lease = { key: task.key, leaseToken: task.leaseToken };
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const beat = await t.call('POST', '/v1/heartbeat', { ...worker, leases: [lease] });
      expect(beat.body.extended).toEqual([task.key]);
    }
    // 1.8 s after the claim, well past the first lease: still held, and completable.
    const done = await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(done.status).toBe(200);
  });

  it('fails a task whose leases keep expiring once its attempts are used up', async () => {
    t = await startServer({ ...short, maxAttempts: 2 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    const second = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 10_000 })).body.tasks[0];
    expect(second.attempt).toBe(2);
    let detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    for (let i = 0; i < 100 && detail.task.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    }
    expect(detail.task.state).toBe('failed');
    expect(detail.task.error).toMatch(/lease expired/);
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'lost']);
    expect((await t.call('GET', '/v1/scans/default')).body.lostAttempts).toBe(2);
    expect((await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks).toEqual([]);
  });
});
