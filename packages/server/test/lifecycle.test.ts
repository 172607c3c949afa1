import { taskKey } from '@bottle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const claim = (max = 1, who = worker) => t.call('POST', '/v1/claim', { ...who, max, waitMs: 0 });

const stores = await contractStores();

describe.each(stores)('task lifecycle over HTTP ($name)', ({ startServer }) => {
  beforeEach(async () => {
    t = await startServer({ retryBackoffMs: 60_000 });
  });

  it('submits, claims, heartbeats and completes a task, recording its attempt', async () => {
    const submitted = await t.call('POST', '/v1/tasks', { tasks: specs(2), scan: 'sweep' });
    expect(submitted).toEqual({ status: 200, body: { created: 2, existing: 0, requeued: 0 } });

    const claimed = await claim(1);
    expect(claimed.status).toBe(200);
    expect(claimed.body.tasks).toHaveLength(1);
    expect(claimed.body.leaseMs).toBe(30_000);
    expect(claimed.body.heartbeatMs).toBe(10_000);
    const task = claimed.body.tasks[0];
    expect(task).toMatchObject({ task: 'examples/dummy.task', params: { i: 0 }, scan: 'sweep', attempt: 1 });
    expect(task.key).toBe(taskKey('examples/dummy.task', { i: 0 }));
    expect(task.leaseExpiresAt).toBeGreaterThan(Date.now());

    const beat = await t.call('POST', '/v1/heartbeat', {
      ...worker,
      leases: [{ key: task.key, leaseToken: task.leaseToken }],
    });
    expect(beat.body).toMatchObject({ extended: [task.key], cancelled: [], lost: [] });

    const done = await t.call('POST', '/v1/report', {
      workerId: 'w1',
      reports: [{ outcome: 'done', key: task.key, leaseToken: task.leaseToken, result: { loss: 0.5 } }],
    });
    expect(done.body).toEqual({ results: [{ key: task.key, ok: true }] });

    const detail = await t.call('GET', `/v1/tasks/${task.key}`);
    expect(detail.body.task).toMatchObject({
      state: 'done',
      result: { loss: 0.5 },
      attempts: 1,
      workerId: 'w1',
    });
    expect(detail.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, workerId: 'w1', host: 'host-a', outcome: 'done', error: null }),
    ]);
    expect(detail.body.attempts[0].endedAt).toBeGreaterThanOrEqual(detail.body.attempts[0].startedAt);

    const scan = await t.call('GET', '/v1/scans/sweep');
    expect(scan.body).toMatchObject({ name: 'sweep', total: 2, lostAttempts: 0 });
    expect(scan.body.counts).toEqual({
      queued: 1,
      running: 0,
      done: 1,
      failed: 0,
      cancelled: 0,
      delivered: 0,
    });

    const workers = await t.call('GET', '/v1/workers');
    expect(workers.body.workers).toEqual([
      expect.objectContaining({ workerId: 'w1', host: 'host-a', running: 0 }),
    ]);
  });

  it('is idempotent by task key, and requeues finished tasks only when rerun is asked', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(3) });
    const again = await t.call('POST', '/v1/tasks', { tasks: specs(4) });
    expect(again.body).toEqual({ created: 1, existing: 3, requeued: 0 });

    const { body } = await claim(1);
    const [task] = body.tasks;
    await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken, result: 1 });
    const resubmit = await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    expect(resubmit.body).toEqual({ created: 0, existing: 1, requeued: 0 });
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task.state).toBe('done');

    const rerun = await t.call('POST', '/v1/tasks', { tasks: specs(1), rerun: true });
    expect(rerun.body).toEqual({ created: 0, existing: 1, requeued: 1 });
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task).toMatchObject({
      state: 'queued',
      result: null,
    });
    expect((await t.call('GET', '/v1/scans/default')).body.counts.queued).toBe(4);
  });

  it('requeues a retryable failure with backoff, then fails it once its attempts are used up', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(1, { maxAttempts: 2 }) });
    const first = (await claim()).body.tasks[0];
    const before = Date.now();
    const failed = await t.call('POST', `/v1/tasks/${first.key}/fail`, {
      leaseToken: first.leaseToken,
      error: 'boom 1',
      retryable: true,
    });
    expect(failed.status).toBe(200);
    const queued = (await t.call('GET', `/v1/tasks/${first.key}`)).body.task;
    expect(queued).toMatchObject({ state: 'queued', error: 'boom 1' });
    // Backoff base is 60 s: the task is not handed out before then.
    expect(queued.notBefore).toBeGreaterThanOrEqual(before + 60_000);
    expect((await claim()).body.tasks).toEqual([]);

    // Out of attempts: a retryable failure is final.
    await t.call('POST', '/v1/tasks', { tasks: specs(1, { maxAttempts: 1 }, 'other.task') });
    const other = (await claim()).body.tasks[0];
    expect(other.task).toBe('other.task');
    await t.call('POST', '/v1/report', {
      workerId: 'w1',
      reports: [
        { outcome: 'failed', key: other.key, leaseToken: other.leaseToken, error: 'boom', retryable: true },
      ],
    });
    const detail = (await t.call('GET', `/v1/tasks/${other.key}`)).body;
    expect(detail.task).toMatchObject({ state: 'failed', error: 'boom' });
    expect(detail.attempts).toEqual([expect.objectContaining({ outcome: 'failed', error: 'boom' })]);
  });

  it('fails a non-retryable failure at once', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const task = (await claim()).body.tasks[0];
    await t.call('POST', `/v1/tasks/${task.key}/fail`, {
      leaseToken: task.leaseToken,
      error: 'bad',
      retryable: false,
    });
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task).toMatchObject({
      state: 'failed',
      attempts: 1,
    });
  });

  it('takes a released task back at once without counting the attempt', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(1, { maxAttempts: 1 }) });
    const first = (await claim()).body.tasks[0];
    expect(
      (await t.call('POST', `/v1/tasks/${first.key}/release`, { leaseToken: first.leaseToken })).status,
    ).toBe(200);
    const second = (await claim()).body.tasks[0];
    expect(second).toMatchObject({ key: first.key, attempt: 2 });
    expect(second.leaseToken).not.toBe(first.leaseToken);
    // maxAttempts 1 and a retryable failure: failed, so the release did not use up the only attempt... until now.
    await t.call('POST', `/v1/tasks/${second.key}/fail`, {
      leaseToken: second.leaseToken,
      error: 'x',
      retryable: true,
    });
    const detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    expect(detail.task.state).toBe('failed');
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['released', 'failed']);
  });

  it('applies a batch report item by item', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(3) });
    const tasks = (await claim(3)).body.tasks;
    const reply = await t.call('POST', '/v1/report', {
      workerId: 'w1',
      reports: [
        { outcome: 'done', key: tasks[0].key, leaseToken: tasks[0].leaseToken },
        { outcome: 'done', key: tasks[1].key, leaseToken: 'not-the-token' },
        { outcome: 'released', key: tasks[2].key, leaseToken: tasks[2].leaseToken },
        { outcome: 'done', key: 'f'.repeat(64), leaseToken: 'x' },
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.results[0]).toEqual({ key: tasks[0].key, ok: true });
    expect(reply.body.results[1]).toMatchObject({
      key: tasks[1].key,
      ok: false,
      error: { code: 'ERR_STALE_LEASE' },
    });
    expect(reply.body.results[2]).toEqual({ key: tasks[2].key, ok: true });
    expect(reply.body.results[3]).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    const states = await Promise.all(
      tasks.map(async (x: { key: string }) => (await t.call('GET', `/v1/tasks/${x.key}`)).body.task.state),
    );
    expect(states).toEqual(['done', 'running', 'queued']);
  });

  it('lists tasks with filters and cursor pagination', async () => {
    await t.call('POST', '/v1/tasks', { tasks: specs(5), scan: 'a' });
    await t.call('POST', '/v1/tasks', { tasks: specs(3, {}, 'other.task'), scan: 'b' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { tasks: { key: string }[]; nextCursor: string | null } } = await t.call(
        'GET',
        `/v1/tasks?scan=a&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.tasks.map((x) => x.key));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(specs(5).map((s) => taskKey(s.task, s.params)));
    expect((await t.call('GET', '/v1/tasks?task=other.task')).body.tasks).toHaveLength(3);
    await claim(1);
    const running = await t.call('GET', '/v1/tasks?state=running');
    expect(running.body.tasks).toHaveLength(1);
    expect(running.body.tasks[0]).toMatchObject({ state: 'running', workerId: 'w1' });
    const scans = await t.call('GET', '/v1/scans');
    expect(scans.body.scans.map((s: { name: string; total: number }) => [s.name, s.total])).toEqual([
      ['a', 5],
      ['b', 3],
    ]);
    expect((await t.call('GET', '/healthz')).body).toEqual({
      ok: true,
      version: expect.any(String),
      instance: expect.any(String),
    });
    expect((await t.call('GET', '/v1/healthz')).status).toBe(200);
  });
});
