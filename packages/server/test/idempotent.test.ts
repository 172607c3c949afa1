import { join } from 'node:path';
import { SqliteStore } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../src/sqlite/schema.js';
import { specs, type TestServer } from './helpers.js';
import { contractStores } from './stores.js';

let s: TestServer | undefined;
const dirs: { remove(): void }[] = [];
afterEach(async () => {
  await s?.close();
  s = undefined;
  for (const dir of dirs.splice(0)) dir.remove();
});

const worker = { workerId: 'w1', host: 'h' };

const stores = await contractStores();

describe.each(stores)('reports resent after a lost answer ($name)', ({ startServer }) => {
  it('are a success again for the same lease, and change nothing', async () => {
    s = await startServer();
    await s.call('POST', '/v1/tasks', { tasks: specs(3) });
    const claim = await s.call('POST', '/v1/claim', { ...worker, max: 3, waitMs: 0 });
    const [a, b, c] = claim.body.tasks as { key: string; leaseToken: string }[];
    const reports = [
      { outcome: 'done', key: a!.key, leaseToken: a!.leaseToken, result: 1 },
      { outcome: 'failed', key: b!.key, leaseToken: b!.leaseToken, error: 'boom', retryable: false },
      { outcome: 'released', key: c!.key, leaseToken: c!.leaseToken },
    ];
    const first = await s.call('POST', '/v1/report', { workerId: 'w1', reports });
    expect(first.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, true]);
    const before = await s.call('GET', `/v1/tasks/${a!.key}`);

    const again = await s.call('POST', '/v1/report', { workerId: 'w1', reports });
    expect(again.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, true]);
    const single = await s.call('POST', `/v1/tasks/${a!.key}/complete`, {
      leaseToken: a!.leaseToken,
      result: 1,
    });
    expect(single.status).toBe(200);
    expect(await s.call('GET', `/v1/tasks/${a!.key}`)).toEqual(before);

    // Another outcome or result for the same lease is refused, and so is another lease.
    const other = await s.call('POST', '/v1/report', {
      workerId: 'w1',
      reports: [
        { outcome: 'failed', key: a!.key, leaseToken: a!.leaseToken, error: 'late', retryable: true },
        { outcome: 'done', key: a!.key, leaseToken: 'forged' },
      ],
    });
    expect(other.body.results.map((r: { error?: { code: string } }) => r.error?.code)).toEqual([
      'ERR_ALREADY_REPORTED',
      'ERR_STALE_LEASE',
    ]);
    const changed = await s.call('POST', `/v1/tasks/${a!.key}/complete`, {
      leaseToken: a!.leaseToken,
      result: 2,
    });
    expect(changed).toMatchObject({ status: 409, body: { error: { code: 'ERR_ALREADY_REPORTED' } } });
    expect(await s.call('GET', `/v1/tasks/${a!.key}`)).toEqual(before);
  });
});

describe.each(stores)(
  'claims repeated with the same claimId ($name)',
  ({ startServer, openStore, reopen }) => {
    it('get the same leases, renewed, with no new attempt and no new task', async () => {
      s = await startServer({ leaseMs: 60_000 });
      await s.call('POST', '/v1/tasks', { tasks: specs(5) });
      const request = { ...worker, max: 2, waitMs: 0, claimId: 'c-1' };
      const first = await s.call('POST', '/v1/claim', request);
      expect(first.body.tasks).toHaveLength(2);
      const again = await s.call('POST', '/v1/claim', request);
      const strip = (tasks: { leaseExpiresAt: number }[]) => tasks.map(({ leaseExpiresAt: _, ...t }) => t);
      expect(strip(again.body.tasks)).toEqual(strip(first.body.tasks));
      for (const t of first.body.tasks as { key: string }[]) {
        const detail = await s.call('GET', `/v1/tasks/${t.key}`);
        expect(detail.body.attempts).toHaveLength(1);
        expect(detail.body.task.attempts).toBe(1);
      }
      // A new claim id leases new tasks; a repeat after a report answers only what is still held.
      const next = await s.call('POST', '/v1/claim', { ...request, claimId: 'c-2' });
      expect(next.body.tasks).toHaveLength(2);
      const [held, reported] = first.body.tasks as { key: string; leaseToken: string }[];
      await s.call('POST', '/v1/report', {
        workerId: 'w1',
        reports: [{ outcome: 'done', key: reported!.key, leaseToken: reported!.leaseToken }],
      });
      const later = await s.call('POST', '/v1/claim', request);
      expect(later.body.tasks.map((t: { key: string }) => t.key)).toEqual([held!.key]);
      // Another worker repeating that id gets new work, not this worker's leases.
      const stranger = await s.call('POST', '/v1/claim', { ...request, workerId: 'w2' });
      expect(stranger.body.tasks.map((t: { key: string }) => t.key)).not.toContain(held!.key);
    });

    it('after a server restart, the repeat still finds the leases committed before the crash', async () => {
      const store = await openStore();
      await store.submit({ tasks: specs(3) });
      const granted = await store
        .claim([{ ...worker, max: 3, waitMs: 0, claimId: 'lost-answer' }])
        .then(([t]) => t!);
      await store.close();
      const reopened = await reopen(store);
      const repeated = await reopened
        .claim([{ ...worker, max: 3, waitMs: 0, claimId: 'lost-answer' }])
        .then(([t]) => t!);
      expect(repeated.map((t) => t.leaseToken)).toEqual(granted.map((t) => t.leaseToken));
      await reopened.close();
    });
  },
);

// A migration of SQLite's own file (PostgreSQL's migration 3 is tested in postgres.test.ts).
describe('claim ids in an older SQLite file', () => {
  it('migrates a version-2 file, which has no claim ids', async () => {
    const dir = makeTempDir('bottle-claim-');
    dirs.push(dir);
    const path = join(dir.path, 'bottle.db');
    const raw = new Database(path);
    raw.exec(migrations[0]!);
    raw.exec(migrations[1]!);
    raw.pragma('user_version = 2');
    raw.close();
    const store = new SqliteStore(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    await store.submit({ tasks: specs(1) });
    expect(
      await store.claim([{ ...worker, max: 1, waitMs: 0, claimId: 'x' }]).then(([t]) => t!),
    ).toHaveLength(1);
    await store.close();
  });
});
