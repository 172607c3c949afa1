import { join } from 'node:path';
import { type ClaimedTask, hashParams, taskKey } from '@bottle/protocol';
import { SqliteStore } from '@bottle/server';
import { ManualClock, makeTempDir } from '@bottle/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SELECT_READY } from '../src/sqlite/claim.js';
import { migrations } from '../src/sqlite/schema.js';
import { specs, worker } from './helpers.js';
import { contractStores } from './stores.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});
function tempDb(): string {
  const dir = makeTempDir('bottle-store-');
  dirs.push(dir);
  return join(dir.path, 'bottle.db');
}

describe('SqliteStore', () => {
  it('opens a file in WAL mode at the latest schema version, and reopens it with its tasks', async () => {
    const path = tempDb();
    const store = new SqliteStore(path);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    await store.submit({ tasks: specs(3) });
    await store.close();
    const again = new SqliteStore(path, { durability: 'full' });
    expect(again.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect((await again.listScans()).scans[0]?.total).toBe(3);
    await again.close();
  });

  it('upgrades a version-1 file (before gathering) to the latest version, keeping its tasks', async () => {
    const path = tempDb();
    const raw = new Database(path);
    raw.exec(migrations[0]!);
    raw.pragma('user_version = 1');
    raw.close();
    const store = new SqliteStore(path);
    await store.submit({ tasks: specs(2) });
    await store.close();
    const again = new SqliteStore(path);
    expect(again.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const columns = (again.db.pragma('table_info(tasks)') as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('upload_lease');
    expect((await again.listScans()).scans[0]?.total).toBe(2);
    await again.close();
  });

  it('refuses a file written by a newer schema version', async () => {
    const path = tempDb();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(/schema version 99/);
  });

  it('claims through the queue index (priority, then readiness, then submission), without scanning or sorting the queue', async () => {
    const store = new SqliteStore(':memory:');
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${SELECT_READY}`).all(Date.now(), 10) as {
      detail: string;
    }[];
    const details = plan.map((row) => row.detail).join('\n');
    expect(details).toMatch(/USING (COVERING )?INDEX tasks_queue/);
    expect(details).not.toMatch(/TEMP B-TREE/);
    await store.close();
  });
});

const stores = await contractStores();

describe.each(stores)('Store contract ($name)', ({ openStore }) => {
  it('rejects a parameter set without a stable JSON form, naming it, and stores nothing', async () => {
    const store = await openStore();
    await expect(
      store.submit({ tasks: [...specs(2), { task: 't', params: { x: Number.NaN } }] }),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_PARAMS',
      message: expect.stringMatching(/tasks\[2\]\.params\.x/),
    });
    expect((await store.listTasks({ limit: 10 })).tasks).toEqual([]);
    await store.close();
  });

  it('keys and hashes tasks exactly as taskKey and hashParams do', async () => {
    const store = await openStore();
    const params = { é: [1.5, { b: null, a: 'x\u2028"' }], z: -0, '10': true, '9': 1e21 };
    await store.submit({ tasks: [{ task: 'dir/mod.export', params }] });
    const [task] = (await store.listTasks({ limit: 1 })).tasks;
    expect(task?.key).toBe(taskKey('dir/mod.export', params));
    expect(task?.paramsHash).toBe(hashParams(params));
    await store.close();
  });

  it('takes 12,000 tasks in one submit, counting repeats as existing and keeping their order', async () => {
    const store = await openStore();
    const tasks = [...specs(12_000), ...specs(3)];
    expect(await store.submit({ tasks, scan: 'big' })).toEqual({ created: 12_000, existing: 3, requeued: 0 });
    const page = await store.listTasks({ limit: 3, cursor: undefined, scan: 'big' });
    expect(page.tasks.map((task) => task.params)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    const claimed = (await store.claim([{ workerId: 'w', host: 'h', max: 2, waitMs: 0 }]))[0]!;
    expect(claimed.map((task) => task.params)).toEqual([{ i: 0 }, { i: 1 }]);
    await store.close();
  });

  it('judges each report of a batch in order: another report of a lease that reported is refused', async () => {
    const store = await openStore();
    await store.submit({ tasks: specs(2) });
    const [a, b] = (await store.claim([{ workerId: 'w', host: 'h', max: 2, waitMs: 0 }]))[0]!;
    const results = await store.report('w', [
      { outcome: 'done', key: a!.key, leaseToken: a!.leaseToken, result: 1 },
      { outcome: 'failed', key: a!.key, leaseToken: a!.leaseToken, error: 'late', retryable: false },
      { outcome: 'released', key: b!.key, leaseToken: b!.leaseToken },
      { outcome: 'done', key: b!.key, leaseToken: b!.leaseToken },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'ERR_ALREADY_REPORTED',
      'ok',
      'ERR_ALREADY_REPORTED',
    ]);
    expect((await store.getTask(a!.key)).task).toMatchObject({ state: 'done', result: 1, error: null });
    const released = await store.getTask(b!.key);
    expect(released.task.state).toBe('queued');
    expect(released.attempts.map((attempt) => attempt.outcome)).toEqual(['released']);
    await store.close();
  });

  it('answers ERR_UNAVAILABLE once closed', async () => {
    const store = await openStore();
    await store.close();
    await expect(store.listScans()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });

  it('serves several claims in one call, in order, each its own tasks, until the queue runs dry', async () => {
    const store = await openStore();
    await store.submit({ tasks: specs(7) });
    const claim = (workerId: string, max: number) => ({ workerId, host: 'h', max, waitMs: 0 });
    const served = await store.claim([
      claim('a', 2),
      claim('b', 3),
      claim('a', 1),
      claim('c', 4),
      claim('d', 1),
    ]);
    const params = served.map((tasks) => tasks.map((t) => t.params['i']));
    // Queue order, split in request order; 'c' gets what is left and 'd' nothing.
    expect(params).toEqual([[0, 1], [2, 3, 4], [5], [6], []]);
    const listed = (await store.listTasks({ state: 'running', limit: 10 })).tasks;
    expect(listed.map((t) => [t.params['i'], t.workerId])).toEqual([
      [0, 'a'],
      [1, 'a'],
      [2, 'b'],
      [3, 'b'],
      [4, 'b'],
      [5, 'a'],
      [6, 'c'],
    ]);
    expect(new Set(served.flat().map((t) => t.leaseToken)).size).toBe(7);
    expect((await store.listWorkers()).workers.map((w) => w.workerId).sort()).toEqual(['a', 'b', 'c', 'd']);
    await store.close();
  });

  it("hands a submit's tasks to claims in the same call, and serves no claim from a submit that made nothing ready", async () => {
    const store = await openStore();
    await store.submit({ tasks: specs(1) });
    const claim = (workerId: string, max: number) => ({ workerId, host: 'h', max, waitMs: 0 });
    const first = await store.submitAndClaim({ tasks: specs(3, {}, 'm.other') }, [
      claim('a', 2),
      claim('b', 3),
    ]);
    expect(first.submitted).toEqual({ created: 3, existing: 0, requeued: 0 });
    // Queue order: the task queued before the submit first.
    expect(first.claimed.map((tasks) => tasks.map((t) => `${t.task}:${t.params['i']}`))).toEqual([
      ['examples/dummy.task:0', 'm.other:0'],
      ['m.other:1', 'm.other:2'],
    ]);
    expect((await store.listTasks({ state: 'running', limit: 10 })).tasks).toHaveLength(4);
    // Repeats make nothing ready: the claims are not served (and a queued task stays queued).
    await store.submit({ tasks: specs(1, {}, 'm.late') });
    const again = await store.submitAndClaim({ tasks: specs(3, {}, 'm.other') }, [claim('c', 5)]);
    expect(again).toEqual({ submitted: { created: 0, existing: 3, requeued: 0 }, claimed: [[]] });
    expect((await store.listTasks({ state: 'queued', limit: 10 })).tasks.map((t) => t.task)).toEqual([
      'm.late',
    ]);
    await store.close();
  });

  it('lists the workers heard from since a time and those holding leases, last heard from first', async () => {
    const clock = new ManualClock(1_000_000);
    const store = await openStore({}, clock);
    await store.submit({ tasks: specs(2) });
    const claim = (workerId: string) => ({ workerId, host: 'h', max: 1, waitMs: 0 });
    const [held, done] = (await store.claim([claim('holds'), claim('done')])).flat();
    await store.report('done', [{ outcome: 'done', key: done!.key, leaseToken: done!.leaseToken }]);
    clock.advance(5_000);
    await store.claim([claim('late')]);
    const ids = async (filter?: { seenSince: number }) =>
      (await store.listWorkers(filter)).workers.map((w) => [w.workerId, w.running]);
    expect(await ids({ seenSince: 1_003_000 })).toEqual([
      ['late', 0],
      ['holds', 1],
    ]);
    expect((await ids()).map(([id]) => id).sort()).toEqual(['done', 'holds', 'late']);
    await store.report('holds', [{ outcome: 'done', key: held!.key, leaseToken: held!.leaseToken }]);
    expect(await ids({ seenSince: 1_006_000 })).toEqual([]);
    await store.close();
  });

  it('applies the policy it was opened with to every claim, heartbeat, failure and expiry', async () => {
    const clock = new ManualClock();
    const store = await openStore({ leaseMs: 1_000, maxAttempts: 2, retryBackoffMs: 50_000 }, clock);
    expect(store.policy).toMatchObject({ leaseMs: 1_000, maxAttempts: 2, maxRetryBackoffMs: 300_000 });
    await store.submit({ tasks: specs(2) });
    const [[first, second]] = (await store.claim([{ ...worker, max: 2, waitMs: 0 }])) as [ClaimedTask[]];
    expect(first!.leaseExpiresAt).toBe(clock.now() + 1_000);
    const beat = await store.heartbeat({
      ...worker,
      leases: [{ key: first!.key, leaseToken: first!.leaseToken }],
    });
    expect(beat.extended).toEqual([first!.key]);
    // A retryable failure waits out the store's backoff.
    await store.report(worker.workerId, [
      { outcome: 'failed', key: first!.key, leaseToken: first!.leaseToken, error: 'e', retryable: true },
    ]);
    const retried = await store.getTask(first!.key);
    expect(retried.task.notBefore).toBe(clock.now() + 50_000);
    // Two lost leases use up the store's two attempts.
    await store.expireLeases(second!.leaseExpiresAt);
    const [[again]] = (await store.claim([{ ...worker, max: 1, waitMs: 0 }])) as [ClaimedTask[]];
    expect(again!.key).toBe(second!.key);
    expect(await store.expireLeases(again!.leaseExpiresAt)).toEqual({ requeued: 0, failed: 1 });
    expect((await store.getTask(second!.key)).task).toMatchObject({ state: 'failed', maxAttempts: 2 });
    await store.close();
  });

  it('refuses a done report without its upload when opened with requireUpload', async () => {
    const store = await openStore({ requireUpload: true });
    await store.submit({ tasks: specs(1) });
    const [[task]] = (await store.claim([{ ...worker, max: 1, waitMs: 0 }])) as [ClaimedTask[]];
    const done = { outcome: 'done', key: task!.key, leaseToken: task!.leaseToken } as const;
    expect(await store.report(worker.workerId, [done])).toEqual([
      { key: task!.key, ok: false, error: expect.objectContaining({ code: 'ERR_CONFLICT' }) },
    ]);
    await store.beginUpload(task!.key, task!.leaseToken);
    await store.recordUpload(task!.key, task!.leaseToken, 10);
    expect(await store.report(worker.workerId, [done])).toEqual([{ key: task!.key, ok: true }]);
    await store.close();
  });

  it('refuses a done or heartbeat from another worker, a wrong token or an expired lease', async () => {
    const clock = new ManualClock();
    const store = await openStore({ leaseMs: 1_000 }, clock);
    await store.submit({ tasks: specs(1) });
    const [[task]] = (await store.claim([{ ...worker, max: 1, waitMs: 0 }])) as [ClaimedTask[]];
    const lease = { key: task!.key, leaseToken: task!.leaseToken };
    const refused = (r: { ok: boolean; error?: { code: string } }) => !r.ok && r.error?.code;
    const [other] = await store.report('w2', [{ outcome: 'done', ...lease }]);
    expect(refused(other!)).toBe('ERR_STALE_LEASE');
    const [wrong] = await store.report(worker.workerId, [{ outcome: 'done', ...lease, leaseToken: 'nope' }]);
    expect(refused(wrong!)).toBe('ERR_STALE_LEASE');
    expect((await store.heartbeat({ workerId: 'w2', host: 'h', leases: [lease] })).lost).toEqual([lease.key]);
    expect((await store.heartbeat({ ...worker, leases: [lease] })).extended).toEqual([lease.key]);
    // At the expiry, before any sweep: stale already.
    const { leaseExpiresAt } = await store.heartbeat({ ...worker, leases: [lease] });
    clock.advance(leaseExpiresAt - clock.now());
    expect((await store.heartbeat({ ...worker, leases: [lease] })).lost).toEqual([lease.key]);
    const [late] = await store.report(worker.workerId, [{ outcome: 'done', ...lease }]);
    expect(refused(late!)).toBe('ERR_STALE_LEASE');
    expect((await store.getTask(lease.key)).task.state).toBe('running');
    await store.close();
  });
});
