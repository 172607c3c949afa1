/**
 * The contract suite's stores: every behaviour test runs once per store, SQLite always and
 * PostgreSQL when it answers (a fresh database per test file, a fresh schema per server).
 * A test that passes on one store and fails on the other is a bug.
 */
import { type QueuePolicy, SqliteStore, type Store } from '@bottle/server';
import { PostgresStore } from '@bottle/server/postgres';
import {
  createTestDatabase,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
} from '@bottle/test-utils';
import { afterAll, beforeAll, it } from 'vitest';
import { type StoreFactory, startTestServer } from './helpers.js';

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** A test server over a fresh store of this kind. */
  startServer: (options?: Parameters<typeof startTestServer>[0]) => ReturnType<typeof startTestServer>;
  /** A fresh store of this kind, for tests that drive the store without HTTP. */
  openStore: (policy?: Partial<QueuePolicy>) => Promise<Store>;
}

let schemas = 0;

/**
 * Call once at the top of a test file (it registers the file's hooks): the stores to run on.
 * Without PostgreSQL, a skipped test says why.
 */
export async function contractStores(): Promise<StoreKind[]> {
  const kinds: StoreKind[] = [
    {
      name: 'sqlite',
      startServer: (options) => startTestServer(options),
      openStore: async (policy) => new SqliteStore(':memory:', { policy }),
    },
  ];
  if (!(await postgresReachable())) {
    it.skip(postgresSkipReason, () => {});
    return kinds;
  }
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  const open: StoreFactory = async (policy) => {
    if (!database) throw new Error('the test database is not created yet');
    const store = new PostgresStore({ connectionString: database.url, schema: `t${++schemas}`, policy });
    await store.ready();
    return store;
  };
  kinds.push({
    name: 'postgres',
    startServer: (options) => startTestServer(options, open),
    openStore: (policy) => open(policy ?? {}),
  });
  return kinds;
}
