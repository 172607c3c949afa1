/** Task pages by keyset cursor, with every filter, equal to the plain read of the table in seq order. */
import type { Store } from '@bottle/server';
import { describe, expect, it } from 'vitest';
import type { ListTasksFilter } from '../src/store/store.js';
import { specs } from './helpers.js';
import { contractStores, type StoreKind } from './stores.js';

async function allPages(store: Store, filter: Omit<ListTasksFilter, 'limit' | 'cursor'>) {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await store.listTasks({ ...filter, limit: 7, ...(cursor ? { cursor } : {}) });
    keys.push(...page.tasks.map((task) => task.key));
    if (!page.nextCursor) return keys;
    cursor = page.nextCursor;
  }
  throw new Error('too many pages');
}

const stores = await contractStores();

describe.each(stores)('task pages ($name)', (kind: StoreKind) => {
  /** The keys `where` selects, in seq order, read the slow way. */
  const slow = async (store: Store, where: string, args: unknown[] = []) =>
    (await kind.query<{ key: string }>(store, `SELECT key FROM tasks WHERE ${where} ORDER BY seq`, args)).map(
      (row) => row.key,
    );

  it('follow seq order across states and scans, with each filter', async () => {
    const store = await kind.openStore({ retryBackoffMs: 1, maxAttempts: 1 });
    await store.submit({
      scan: 'a',
      tasks: specs(30).map((t, i) => ({ ...t, params: { i, tag: i % 3 ? 'x' : 'needle' } })),
    });
    await store.submit({ scan: 'b', tasks: specs(12, {}, 'examples/other.task') });
    await store.submit({ scan: 'a', tasks: specs(5, {}, 'examples/late.task') });
    const claimed = (await store.claim([{ workerId: 'w1', host: 'h', max: 25, waitMs: 0 }]))[0]!;
    (await store.claim([{ workerId: 'w2', host: 'h', max: 4, waitMs: 0 }]))[0]!;
    await store.report(
      'w1',
      claimed
        .filter((_, i) => i % 2 === 0)
        .map((t, i) =>
          i % 3
            ? { outcome: 'done' as const, key: t.key, leaseToken: t.leaseToken }
            : {
                outcome: 'failed' as const,
                key: t.key,
                leaseToken: t.leaseToken,
                error: 'e',
                retryable: false,
              },
        ),
    );
    expect(await allPages(store, { scan: 'a' })).toEqual(await slow(store, "scan = 'a'"));
    expect(await allPages(store, { state: 'done' })).toEqual(await slow(store, "state = 'done'"));
    expect(await allPages(store, { state: 'running' })).toEqual(await slow(store, "state = 'running'"));
    expect(await allPages(store, { scan: 'a', state: 'failed' })).toEqual(
      await slow(store, "scan = 'a' AND state = 'failed'"),
    );
    expect(await allPages(store, { worker: 'w2' })).toEqual(await slow(store, "worker_id = 'w2'"));
    expect(await allPages(store, { scan: 'a', q: 'needle' })).toEqual(
      await slow(store, "scan = 'a' AND params LIKE '%needle%'"),
    );
    const someKey = (await slow(store, "scan = 'b'"))[3]!;
    expect(await allPages(store, { key: someKey.slice(0, 6) })).toEqual(
      await slow(store, 'substr(key, 1, 6) = ?', [someKey.slice(0, 6)]),
    );
    expect((await allPages(store, {})).length).toBe(47);
    expect((await allPages(store, { scan: 'a', q: 'needle' })).length).toBe(10);
    await store.close();
  });
});
