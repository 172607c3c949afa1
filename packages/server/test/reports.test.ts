/**
 * Reports and heartbeats on a lease that already reported, on every store: a resend is the same
 * success and changes nothing; another report on that lease is refused (ERR_ALREADY_REPORTED); a
 * heartbeat that crossed its lease's report is answered `finished`, never `lost`.
 */
import type { ClaimedTask, Report } from '@bottle/protocol';
import type { ServerEvent } from '@bottle/server';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

const stores = await contractStores();

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const codes = (results: { ok: boolean; error?: { code: string } }[]) =>
  results.map((r) => (r.ok ? 'ok' : r.error?.code));

describe.each(stores)('resent reports ($name)', ({ openStore }) => {
  it('answer a resend ok and change nothing; refuse another outcome or result on that lease', async () => {
    const store = await openStore({ retryBackoffMs: 0 });
    await store.submit({ tasks: specs(3) });
    const [[a, b, c]] = (await store.claim([{ ...worker, max: 3, waitMs: 0 }])) as [ClaimedTask[]];
    const done: Report = {
      outcome: 'done',
      key: a!.key,
      leaseToken: a!.leaseToken,
      result: { x: 1 },
      logs: { stdout: 'first' },
    };
    const failed: Report = {
      outcome: 'failed',
      key: b!.key,
      leaseToken: b!.leaseToken,
      error: 'boom',
      retryable: true,
      logs: { stdout: 'first' },
    };
    const released: Report = { outcome: 'released', key: c!.key, leaseToken: c!.leaseToken };
    expect(codes(await store.report(worker.workerId, [done, failed, released]))).toEqual(['ok', 'ok', 'ok']);
    // The failed task runs again under a new lease before the first lease's resend arrives.
    const [again] = await store.claim([{ ...worker, max: 2, waitMs: 0 }]);
    expect(again?.map((x) => x.key)).toContain(b!.key);
    const before = await Promise.all([a, b, c].map((x) => store.getTask(x!.key)));
    const logsBefore = await store.getLogs(b!.key, 1);

    const resent = { ...failed, logs: { stdout: 'resent' } } as Report;
    expect(codes(await store.report(worker.workerId, [done, resent, released]))).toEqual(['ok', 'ok', 'ok']);
    expect(await Promise.all([a, b, c].map((x) => store.getTask(x!.key)))).toEqual(before);
    expect(await store.getLogs(b!.key, 1)).toEqual(logsBefore);
    expect(await store.getLogs(b!.key, 2)).toMatchObject({ stdout: '' });

    const other = await store.report(worker.workerId, [
      { ...done, result: { x: 2 } },
      { ...done, result: undefined },
      { outcome: 'failed', key: a!.key, leaseToken: a!.leaseToken, error: 'late', retryable: false },
      { ...failed, error: 'another error' },
      { outcome: 'done', key: c!.key, leaseToken: c!.leaseToken },
      { ...done, leaseToken: 'forged' },
    ]);
    expect(codes(other)).toEqual([
      'ERR_ALREADY_REPORTED',
      'ERR_ALREADY_REPORTED',
      'ERR_ALREADY_REPORTED',
      'ERR_ALREADY_REPORTED',
      'ERR_ALREADY_REPORTED',
      'ERR_STALE_LEASE',
    ]);
    expect(await Promise.all([a, b, c].map((x) => store.getTask(x!.key)))).toEqual(before);
    await store.close();
  });
});

describe.each(stores)('heartbeats that cross their report ($name)', ({ startServer }) => {
  it('answer a lease its own report finished as finished, raising no lease.lost', async () => {
    const events: ServerEvent[] = [];
    t = await startServer({ onEvent: (event) => events.push(event) });
    await t.call('POST', '/v1/tasks', { tasks: specs(4) });
    const claimed = (await t.call('POST', '/v1/claim', { ...worker, max: 4, waitMs: 0 })).body.tasks as {
      key: string;
      leaseToken: string;
    }[];
    const [done, failed, released, running] = claimed as [ClaimedTask, ClaimedTask, ClaimedTask, ClaimedTask];
    const leases = claimed.map(({ key, leaseToken }) => ({ key, leaseToken }));
    // Heartbeat first, then the reports: every lease is extended, every report recorded.
    const first = await t.call('POST', '/v1/heartbeat', { ...worker, leases });
    expect(first.body).toMatchObject({ extended: leases.map((l) => l.key), lost: [], cancelled: [] });
    const reported = await t.call('POST', '/v1/report', {
      workerId: worker.workerId,
      reports: [
        { outcome: 'done', key: done.key, leaseToken: done.leaseToken },
        { outcome: 'failed', key: failed.key, leaseToken: failed.leaseToken, error: 'e', retryable: true },
        { outcome: 'released', key: released.key, leaseToken: released.leaseToken },
      ],
    });
    expect(codes(reported.body.results)).toEqual(['ok', 'ok', 'ok']);
    // The reports first, then a heartbeat that still names their leases.
    const second = await t.call('POST', '/v1/heartbeat', { ...worker, leases });
    expect(second.body).toEqual({
      extended: [running.key],
      cancelled: [],
      finished: [done.key, failed.key, released.key],
      lost: [],
      leaseExpiresAt: expect.any(Number),
    });
    // A lease taken by another worker is lost, as before.
    await t.call('POST', '/v1/tasks/' + running.key + '/cancel');
    const [reclaimed] = (await t.call('POST', '/v1/claim', { workerId: 'w2', host: 'h', max: 1, waitMs: 0 }))
      .body.tasks;
    expect(reclaimed.key).toBe(released.key);
    const third = await t.call('POST', '/v1/heartbeat', {
      ...worker,
      leases: [...leases, { key: released.key, leaseToken: 'not-this-one' }],
    });
    expect(third.body).toMatchObject({
      extended: [],
      cancelled: [running.key],
      finished: [done.key, failed.key, released.key],
      lost: [released.key],
    });
    expect(events.filter((e) => e.type === 'lease.lost')).toEqual([
      { type: 'lease.lost', workerId: worker.workerId, keys: [released.key] },
    ]);
  });
});
