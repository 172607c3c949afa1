/**
 * The contract suite's stores: every behaviour test runs once per store, SQLite always and
 * PostgreSQL when it answers (a fresh database per test file, a fresh schema per store).
 * A test that passes on one store and fails on the other is a bug.
 */
import { join } from 'node:path';
import { type QueuePolicy, SqliteStore, type Store } from '@bottle/server';
import { PostgresStore } from '@bottle/server/postgres';
import {
  createTestDatabase,
  makeTempDir,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
} from '@bottle/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import type { Clock } from '../src/store/clock.js';
import { type StoreFactory, startTestServer } from './helpers.js';

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** A test server over a fresh store of this kind. */
  startServer: (options?: Parameters<typeof startTestServer>[0]) => ReturnType<typeof startTestServer>;
  /** A fresh store of this kind, for tests that drive the store without HTTP. */
  openStore: (policy?: Partial<QueuePolicy>, clock?: Clock) => Promise<Store>;
  /** Another store on the same queue as `store` (a file, a schema), as a restarted server opens it. */
  reopen: (store: Store) => Promise<Store>;
  /**
   * Runs SQL on the store's own tables, beside the store: for the slow truths tests compare the
   * store's answers with. `?` placeholders; write SQL both dialects read.
   */
  query: <T = Record<string, unknown>>(store: Store, sql: string, args?: unknown[]) => Promise<T[]>;
}

let schemas = 0;

/**
 * Call once at the top of a test file (it registers the file's hooks): the stores to run on.
 * Without PostgreSQL, a skipped test says why.
 */
export async function contractStores(): Promise<StoreKind[]> {
  const sqlite: StoreKind = {
    name: 'sqlite',
    startServer: (options) => startTestServer(options),
    // A file, not :memory:, so that a test can reopen it.
    openStore: async (policy, clock) => {
      const dir = makeTempDir('bottle-store-');
      return new SqliteStore(join(dir.path, 'bottle.db'), { policy, ...(clock ? { clock } : {}) });
    },
    reopen: async (store) => {
      const { path, policy, clock } = store as SqliteStore;
      return new SqliteStore(path, { policy, clock });
    },
    query: async <T>(store: Store, sql: string, args: unknown[] = []) => {
      const statement = (store as SqliteStore).db.prepare(sql);
      if (statement.reader) return statement.all(...args) as T[];
      statement.run(...args);
      return [];
    },
  };
  if (!(await postgresReachable())) {
    it.skip(postgresSkipReason, () => {});
    return [sqlite];
  }
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  const pools = new Map<string, pg.Pool>();
  afterAll(async () => {
    for (const pool of pools.values()) await pool.end();
    await database?.drop();
  });
  const open = async (policy: Partial<QueuePolicy>, clock?: Clock, schema = `t${++schemas}`) => {
    if (!database) throw new Error('the test database is not created yet');
    const store = new PostgresStore({
      connectionString: database.url,
      schema,
      policy,
      ...(clock ? { clock } : {}),
    });
    await store.ready();
    return store;
  };
  const factory: StoreFactory = (policy, clock) => open(policy, clock);
  return [
    sqlite,
    {
      name: 'postgres',
      startServer: (options) => startTestServer(options, factory),
      openStore: (policy, clock) => open(policy ?? {}, clock),
      reopen: async (store) => {
        const { schema, policy, clock } = store as PostgresStore;
        return open(policy, clock, schema);
      },
      query: async <T>(store: Store, sql: string, args: unknown[] = []) => {
        const { schema } = store as PostgresStore;
        let pool = pools.get(schema);
        if (!pool) {
          pool = new pg.Pool({
            connectionString: database?.url,
            options: `-c search_path=${schema}`,
            max: 1,
            // bigint columns as numbers, as the store reads them.
            types: {
              getTypeParser: ((oid: number, format?: string) =>
                oid === pg.types.builtins.INT8
                  ? (value: string) => Number(value)
                  : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
            },
          });
          pools.set(schema, pool);
        }
        let n = 0;
        return (
          await pool.query(
            sql.replace(/\?/g, () => `$${++n}`),
            args,
          )
        ).rows as T[];
      },
    },
  ];
}
