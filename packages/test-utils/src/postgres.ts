/**
 * PostgreSQL for tests: the server at 127.0.0.1:5432 (trust auth, database `test`), or the one
 * `BOTTLE_TEST_POSTGRES` names. Each test file makes a database of its own and drops it after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database that tests may connect to in order to create and drop their own. */
export const postgresAdminUrl =
  process.env['BOTTLE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What a skipped test says when no PostgreSQL answers. */
export const postgresSkipReason = `PostgreSQL is not reachable at ${postgresAdminUrl.replace(/\/\/[^@/]*@/, '//')} (set BOTTLE_TEST_POSTGRES): its store tests are skipped`;

let reachable: Promise<boolean> | undefined;

/** True when the admin database answers within a second (checked once per process). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

export interface TestDatabase {
  name: string;
  /** Connection URL of the fresh database. */
  url: string;
  /** Runs one statement in it, on a connection of its own; returns the rows. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Drops it, cutting any connection still open. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = postgresAdminUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `bottle_test_<random>`; only its own database is ever dropped. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `bottle_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: <T>(sql: string, values: unknown[] = []) =>
      admin(async (client) => (await client.query(sql, values)).rows as T[], url.toString()),
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
