import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const claim = (max: number) => t.call('POST', '/v1/claim', { ...worker, max, waitMs: 0 });

const stores = await contractStores();

describe.each(stores)("operators' verbs ($name)", ({ startServer }) => {
  beforeEach(async () => {
    t = await startServer();
  });

  it('cancels a queued task, and a running one whose worker learns it at its next heartbeat', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(2) });
    const running = (await claim(1)).body.tasks[0];
    const queuedKey = (await t.call('GET', '/v1/tasks?state=queued')).body.tasks[0].key;

    const cancelledQueued = await t.call('POST', `/v1/tasks/${queuedKey}/cancel`, {});
    expect(cancelledQueued.body).toMatchObject({ key: queuedKey, state: 'cancelled' });
    const cancelledRunning = await t.call('POST', `/v1/tasks/${running.key}/cancel`);
    expect(cancelledRunning.body).toMatchObject({ state: 'cancelled' });

    const beat = await t.call('POST', '/v1/heartbeat', {
      ...worker,
      leases: [{ key: running.key, leaseToken: running.leaseToken }],
    });
    expect(beat.body).toMatchObject({ extended: [], cancelled: [running.key], lost: [] });
    // Its later report is refused as stale and changes nothing.
    const late = await t.call('POST', `/v1/tasks/${running.key}/complete`, {
      leaseToken: running.leaseToken,
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({
      code: 'ERR_STALE_LEASE',
      message: expect.stringMatching(/cancelled/),
    });
    const detail = (await t.call('GET', `/v1/tasks/${running.key}`)).body;
    expect(detail.task.state).toBe('cancelled');
    expect(detail.attempts).toEqual([expect.objectContaining({ outcome: 'cancelled' })]);
    expect((await claim(5)).body.tasks).toEqual([]);
  });

  it('refuses to cancel a finished task, and to rerun an unfinished one, with 409', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(2) });
    const task = (await claim(1)).body.tasks[0];
    expect((await t.call('POST', `/v1/tasks/${task.key}/rerun`)).body.error.code).toBe('ERR_CONFLICT');
    await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    const reply = await t.call('POST', `/v1/tasks/${task.key}/cancel`);
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('ERR_CONFLICT');
  });

  it('reruns a finished task with a fresh attempt budget, keeping its history', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(1, { maxAttempts: 1 }) });
    const first = (await claim(1)).body.tasks[0];
    await t.call('POST', `/v1/tasks/${first.key}/fail`, {
      leaseToken: first.leaseToken,
      error: 'e',
      retryable: true,
    });
    expect((await t.call('GET', `/v1/tasks/${first.key}`)).body.task.state).toBe('failed');

    const rerun = await t.call('POST', `/v1/tasks/${first.key}/rerun`);
    expect(rerun.body).toMatchObject({ state: 'queued', error: null });
    const second = (await claim(1)).body.tasks[0];
    expect(second).toMatchObject({ key: first.key, attempt: 2 });
    await t.call('POST', `/v1/tasks/${first.key}/complete`, { leaseToken: second.leaseToken, result: 'ok' });
    const detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    expect(detail.task).toMatchObject({ state: 'done', result: 'ok', attempts: 2 });
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'done']);
  });

  it('cancels a scan, then reruns its failed tasks only or all of them', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(4), scan: 'big' });
    await t.call('POST', '/v1/tasks', { tasks: specs(2, {}, 'other'), scan: 'keep' });
    const [a, b] = (await claim(2)).body.tasks;
    await t.call('POST', `/v1/tasks/${a.key}/complete`, { leaseToken: a.leaseToken });
    await t.call('POST', `/v1/tasks/${b.key}/fail`, {
      leaseToken: b.leaseToken,
      error: 'e',
      retryable: false,
    });

    expect((await t.call('POST', '/v1/scans/big/cancel', {})).body).toEqual({ count: 2 });
    expect((await t.call('GET', '/v1/scans/big')).body.counts).toMatchObject({
      done: 1,
      failed: 1,
      cancelled: 2,
    });
    expect((await t.call('GET', '/v1/scans/keep')).body.counts.queued).toBe(2);

    expect((await t.call('POST', '/v1/scans/big/rerun', { only: 'failed' })).body).toEqual({ count: 3 });
    expect((await t.call('GET', '/v1/scans/big')).body.counts).toMatchObject({ done: 1, queued: 3 });
    expect((await t.call('POST', '/v1/scans/big/rerun', { only: 'all' })).body).toEqual({ count: 1 });
    expect((await t.call('GET', '/v1/scans/big')).body.counts).toMatchObject({ done: 0, queued: 4 });
    // `only` defaults to failed; a body is optional.
    expect((await t.call('POST', '/v1/scans/big/rerun')).body).toEqual({ count: 0 });
    expect((await t.call('POST', '/v1/scans/big/rerun', { only: 'some' })).status).toBe(400);
  });
});
