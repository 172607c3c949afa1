/** The counts that triggers keep (SQLite migration 4, PostgreSQL 3) always equal a count over the tasks table. */
import { join } from 'node:path';
import { SqliteStore, type Store } from '@bottle/server';
import { ManualClock, makeTempDir } from '@bottle/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../src/sqlite/schema.js';
import { specs } from './helpers.js';
import { contractStores } from './stores.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});
function tempDb(): string {
  const dir = makeTempDir('bottle-counts-');
  dirs.push(dir);
  return join(dir.path, 'bottle.db');
}

type CountRow = { scan: string; state: string; n: number };
const COUNT = 'SELECT scan, state, CAST(count(*) AS INTEGER) AS n FROM tasks GROUP BY scan, state';

/** Counts by scan and state, computed the slow way. */
function byScan(rows: readonly CountRow[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const row of rows) out[row.scan] = { ...out[row.scan], [row.state]: row.n };
  return out;
}

async function kept(store: Store): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const scan of (await store.listScans()).scans) {
    const nonzero = Object.entries(scan.counts).filter(([, n]) => n > 0);
    if (nonzero.length > 0) out[scan.name] = Object.fromEntries(nonzero);
    expect(scan.total).toBe(nonzero.reduce((sum, [, n]) => sum + n, 0));
  }
  return out;
}

const stores = await contractStores();

describe.each(stores)('scan counts kept by triggers ($name)', ({ openStore, query }) => {
  const truth = async (store: Store) => byScan(await query<CountRow>(store, COUNT));

  it('follow every state change: claim, done, retryable and final failure, release, cancel, rerun, expiry', async () => {
    const clock = new ManualClock();
    const store = await openStore({ leaseMs: 60_000, retryBackoffMs: 0, maxAttempts: 2 }, clock);
    await store.submit({ scan: 'a', tasks: specs(30) });
    await store.submit({ scan: 'b', tasks: specs(10, {}, 'examples/other.task') });
    expect(await kept(store)).toEqual(await truth(store));
    const claimed = (await store.claim([{ workerId: 'w1', host: 'h', max: 20, waitMs: 0 }]))[0]!;
    const reports = claimed.map((task, i) => {
      const { key, leaseToken } = task;
      if (i % 4 === 0) return { outcome: 'done' as const, key, leaseToken, result: { i } };
      if (i % 4 === 1) return { outcome: 'failed' as const, key, leaseToken, error: 'boom', retryable: true };
      if (i % 4 === 2) return { outcome: 'failed' as const, key, leaseToken, error: 'bad', retryable: false };
      return { outcome: 'released' as const, key, leaseToken };
    });
    await store.report('w1', reports.slice(0, 15));
    expect(await kept(store)).toEqual(await truth(store));
    await store.cancelTask(claimed[16]!.key);
    await store.cancelScan('b');
    expect(await kept(store)).toEqual(await truth(store));
    clock.advance(120_000);
    await store.expireLeases();
    expect(await kept(store)).toEqual(await truth(store));
    await store.rerunScan('a', 'all');
    await store.rerunTask(claimed[0]!.key).catch(() => {});
    await store.submit({ scan: 'a', tasks: specs(30), rerun: true });
    expect(await kept(store)).toEqual(await truth(store));
    await query(store, 'DELETE FROM attempt_logs');
    await query(store, 'DELETE FROM attempts');
    await query(store, "DELETE FROM tasks WHERE scan = 'b'");
    expect(await kept(store)).toEqual(await truth(store));
    await store.close();
  });

  it('count finished tasks by minute, with failures apart from successes', async () => {
    const clock = new ManualClock();
    const store = await openStore({ retryBackoffMs: 0, maxAttempts: 1 }, clock);
    await store.submit({ scan: 'a', tasks: specs(6) });
    const claimed = (await store.claim([{ workerId: 'w1', host: 'h', max: 6, waitMs: 0 }]))[0]!;
    await store.report(
      'w1',
      claimed.map((task, i) =>
        i < 4
          ? { outcome: 'done' as const, key: task.key, leaseToken: task.leaseToken }
          : {
              outcome: 'failed' as const,
              key: task.key,
              leaseToken: task.leaseToken,
              error: 'x',
              retryable: true,
            },
      ),
    );
    const scan = await store.getScan('a');
    expect(scan.recent).toMatchObject({ done: 4, failed: 2 });
    expect(scan.oldestRunning).toBeNull();
    const activity = await store.scanActivity('a');
    expect(activity.durations.reduce((sum, bucket) => sum + bucket.n, 0)).toBe(4);
    expect(activity.minutes).toEqual([{ minute: Math.floor(clock.now() / 60_000), done: 4, failed: 2 }]);
    await store.close();
  });

  it('name the oldest running task of each scan', async () => {
    const clock = new ManualClock();
    const store = await openStore({}, clock);
    await store.submit({ scan: 'a', tasks: specs(3) });
    const startedAt = clock.now();
    const [first] = (await store.claim([{ workerId: 'w1', host: 'h', max: 1, waitMs: 0 }]))[0]!;
    clock.advance(1_000);
    (await store.claim([{ workerId: 'w2', host: 'h', max: 1, waitMs: 0 }]))[0]!;
    expect((await store.getScan('a')).oldestRunning).toEqual({ key: first!.key, startedAt, workerId: 'w1' });
    await store.close();
  });
});

// A migration of SQLite's own file: PostgreSQL's migration 3 has its test in postgres.test.ts.
describe('scan counts of an older SQLite file', () => {
  it('are backfilled when a version-2 file is upgraded', async () => {
    const path = tempDb();
    const raw = new Database(path);
    raw.exec(migrations[0]!);
    raw.exec(migrations[1]!);
    raw.pragma('user_version = 2');
    const insert = raw.prepare(
      `INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, created_at, updated_at,
         not_before, started_at, finished_at) VALUES (?, 't', '{}', ?, ?, ?, 3, 0, 0, 0, 0, ?)`,
    );
    raw.prepare("INSERT INTO scans (name, created_at) VALUES ('x', 0), ('y', 1)").run();
    const states = ['queued', 'done', 'done', 'failed', 'running', 'cancelled'];
    for (let i = 0; i < 60; i++) {
      const key = i.toString(16).padStart(64, '0');
      insert.run(key, key, i % 2 ? 'x' : 'y', states[i % states.length], 120_000 + i);
    }
    const before = byScan(raw.prepare(COUNT).all() as CountRow[]);
    raw.close();
    const store = new SqliteStore(path);
    expect(await kept(store)).toEqual(before);
    const minutes = store.db
      .prepare('SELECT sum(done) AS done, sum(failed) AS failed FROM scan_minutes')
      .get();
    expect(minutes).toEqual({ done: 20, failed: 10 });
    await store.close();
  });
});
