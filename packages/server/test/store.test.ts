import { join } from 'node:path';
import { hashParams, taskKey } from '@bottle/protocol';
import { SqliteStore } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SELECT_READY } from '../src/sqlite/claim.js';
import { migrations } from '../src/sqlite/schema.js';
import { specs } from './helpers.js';
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

  it('claims through the ready index, without scanning or sorting the queue', async () => {
    const store = new SqliteStore(':memory:');
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${SELECT_READY}`).all(Date.now(), 10) as {
      detail: string;
    }[];
    const details = plan.map((row) => row.detail).join('\n');
    expect(details).toMatch(/USING (COVERING )?INDEX tasks_ready/);
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
    const claimed = await store.claim({ workerId: 'w', host: 'h', max: 2, waitMs: 0 });
    expect(claimed.map((task) => task.params)).toEqual([{ i: 0 }, { i: 1 }]);
    await store.close();
  });

  it('judges each report of a batch in order: a second report of one lease is stale', async () => {
    const store = await openStore();
    await store.submit({ tasks: specs(2) });
    const [a, b] = await store.claim({ workerId: 'w', host: 'h', max: 2, waitMs: 0 });
    const results = await store.report('w', [
      { outcome: 'done', key: a!.key, leaseToken: a!.leaseToken, result: 1 },
      { outcome: 'failed', key: a!.key, leaseToken: a!.leaseToken, error: 'late', retryable: false },
      { outcome: 'released', key: b!.key, leaseToken: b!.leaseToken },
      { outcome: 'done', key: b!.key, leaseToken: b!.leaseToken },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'ERR_STALE_LEASE',
      'ok',
      'ERR_STALE_LEASE',
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
});
