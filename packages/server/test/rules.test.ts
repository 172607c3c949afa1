/**
 * The rules of store/ against what each store does, where a store does them in SQL for speed: the
 * lease rule (SQLite's done and heartbeat statements, PostgreSQL's heartbeat), and the transitions of
 * reports and expiries, column by column. A store that drifts from the rule fails here.
 */
import type { ClaimedTask, Report } from '@bottle/protocol';
import type { Store } from '@bottle/server';
import { ManualClock } from '@bottle/test-utils';
import { describe, expect, it } from 'vitest';
import { judgeLease, LEASE_COLUMNS, type LeaseRow } from '../src/store/lease.js';
import { expiryTransition, reportTransition } from '../src/store/transitions.js';
import { specs, worker } from './helpers.js';
import { contractStores, type StoreKind } from './stores.js';

const stores = await contractStores();
/** The expiry rule's verdict on a row of ours. */
const expiryOf = (row: LeaseRow, now: number) =>
  expiryTransition(
    { ...row, worker_id: worker.workerId, host: worker.host, lease_expires_at: row.lease_expires_at! },
    now,
  );
const policy = { leaseMs: 10_000, maxAttempts: 2, retryBackoffMs: 500, maxRetryBackoffMs: 5_000 };

describe.each(stores)('the rules of store/ ($name)', (kind: StoreKind) => {
  const row = async (store: Store, key: string) =>
    (
      await kind.query<LeaseRow & { key: string }>(
        store,
        `SELECT key, ${LEASE_COLUMNS} FROM tasks WHERE key = ?`,
        [key],
      )
    )[0]!;
  const attempt = async (store: Store, key: string, n: number) =>
    (
      await kind.query<{
        outcome: string;
        error: string | null;
        ended_at: number | null;
        report_digest: string | null;
      }>(
        store,
        `SELECT outcome, error, ended_at, report_digest FROM attempts
         WHERE task_seq = (SELECT seq FROM tasks WHERE key = ?) AND attempt = ?`,
        [key, n],
      )
    )[0]!;
  const open = async () => {
    const clock = new ManualClock();
    const store = await kind.openStore(policy, clock);
    await store.submit({ tasks: specs(8) });
    const [tasks] = (await store.claim([{ ...worker, max: 8, waitMs: 0 }])) as [ClaimedTask[]];
    return { clock, store, tasks };
  };

  it('extend and complete exactly the leases judgeLease finds valid', async () => {
    const { clock, store, tasks } = await open();
    const [valid, otherWorker, wrongToken, cancelled, expired, done] = tasks;
    await store.cancelTask(cancelled!.key);
    await store.report(worker.workerId, [{ outcome: 'done', key: done!.key, leaseToken: done!.leaseToken }]);
    clock.advance(5_000);
    await store.heartbeat({
      ...worker,
      leases: tasks.filter((t) => t !== expired).map(({ key, leaseToken }) => ({ key, leaseToken })),
    });
    clock.advance(5_000); // `expired` is at its expiry now, the others halfway through theirs
    const cases = [
      { task: valid!, workerId: worker.workerId, token: valid!.leaseToken },
      { task: otherWorker!, workerId: 'w2', token: otherWorker!.leaseToken },
      { task: wrongToken!, workerId: worker.workerId, token: 'not-the-token' },
      { task: cancelled!, workerId: worker.workerId, token: cancelled!.leaseToken },
      { task: expired!, workerId: worker.workerId, token: expired!.leaseToken },
      { task: done!, workerId: worker.workerId, token: done!.leaseToken },
    ];
    const rule = await Promise.all(
      cases.map(
        async (c) =>
          judgeLease(await row(store, c.task.key), c.task.key, c.token, c.workerId, clock.now()).valid,
      ),
    );
    expect(rule).toEqual([true, false, false, false, false, false]);
    const beats = await Promise.all(
      cases.map(
        async (c) =>
          (
            await store.heartbeat({
              workerId: c.workerId,
              host: 'h',
              leases: [{ key: c.task.key, leaseToken: c.token }],
            })
          ).extended.length === 1,
      ),
    );
    expect(beats).toEqual(rule);
    // A done report takes the statement that checks the lease in its WHERE.
    clock.advance(1);
    const rule2 = await Promise.all(
      cases.map(
        async (c) =>
          judgeLease(await row(store, c.task.key), c.task.key, c.token, c.workerId, clock.now()).valid,
      ),
    );
    const reports = await Promise.all(
      cases.map(
        async (c) =>
          (
            await store.report(c.workerId, [
              { outcome: 'done', key: c.task.key, leaseToken: c.token, result: 7 },
            ])
          )[0]!,
      ),
    );
    expect(reports.map((r) => r.ok && r.key !== done!.key)).toEqual(rule2);
    await store.close();
  });

  it('write the columns reportTransition and expiryTransition decide', async () => {
    const { clock, store, tasks } = await open();
    const [d, failedRetry, failedFinal, released, expiring] = tasks as ClaimedTask[];
    const reports: Report[] = [
      { outcome: 'done', key: d!.key, leaseToken: d!.leaseToken, result: { a: [1, 'x'] } },
      {
        outcome: 'failed',
        key: failedRetry!.key,
        leaseToken: failedRetry!.leaseToken,
        error: 'e1',
        retryable: true,
      },
      {
        outcome: 'failed',
        key: failedFinal!.key,
        leaseToken: failedFinal!.leaseToken,
        error: 'e2',
        retryable: false,
      },
      { outcome: 'released', key: released!.key, leaseToken: released!.leaseToken },
    ];
    clock.advance(1_234);
    for (const item of reports) {
      const before = await row(store, item.key);
      const expected = reportTransition(before, item, clock.now(), policy);
      await store.report(worker.workerId, [item]);
      expect(await row(store, item.key)).toMatchObject({ ...expected.task, lease_expires_at: null });
      const end = await attempt(store, item.key, before.attempt_count);
      expect({ ...end, digest: end.report_digest }).toMatchObject(expected.attempt);
    }
    // Expiry: one task back to the queue, one (its attempts used up) failed for good.
    const before = await row(store, expiring!.key);
    clock.advance(policy.leaseMs);
    const expected = expiryOf(before, clock.now());
    await store.expireLeases();
    expect(await row(store, expiring!.key)).toMatchObject({ ...expected.task, lease_expires_at: null });
    expect(await attempt(store, expiring!.key, 1)).toMatchObject({
      outcome: 'lost',
      error: expected.attempt.error,
      ended_at: before.lease_expires_at,
    });
    const [[again]] = (await store.claim([{ ...worker, max: 8, waitMs: 0 }])).map((t) =>
      t.filter((x) => x.key === expiring!.key),
    ) as [ClaimedTask[]];
    const second = await row(store, again!.key);
    clock.advance(policy.leaseMs);
    const final = expiryOf(second, clock.now());
    expect(final.task.state).toBe('failed');
    await store.expireLeases();
    expect(await row(store, again!.key)).toMatchObject({ ...final.task, lease_expires_at: null });
    await store.close();
  });
});
