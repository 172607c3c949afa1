/**
 * What only the PostgreSQL store has: its URL and database checks, its own schema, migrations
 * raced by several servers, a lost connection, and several servers on one queue.
 */

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { PostgresStore } from '@bottle/server/postgres';
import {
  createTestDatabase,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
  waitFor,
} from '@bottle/test-utils';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/postgres/schema.js';
import { specs, startTestServer, type TestServer, worker } from './helpers.js';

describe('PostgresStore: the URL', () => {
  it('refuses a malformed URL with ERR_DATABASE, never showing the password', () => {
    for (const url of ['postgres://bob:hunter2@/', 'mysql://bob:hunter2@host/db', 'not a url hunter2@']) {
      let caught: unknown;
      try {
        new PostgresStore({ connectionString: url });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'ERR_DATABASE' });
      expect((caught as Error).message).not.toContain('hunter2');
    }
  });

  it('refuses a schema name that would need quoting, and unknown options', () => {
    expect(
      () => new PostgresStore({ connectionString: 'postgres://u@h/db', schema: 'Bottle; DROP' }),
    ).toThrow(/not a plain name/);
    expect(() => new PostgresStore({ connectionString: 'postgres://u@h/db?schema=a-b' })).toThrow(
      /not a plain name/,
    );
    expect(() => new PostgresStore({ connectionString: 'postgres://u@h/db', pool: 3 } as never)).toThrow(
      /unknown option 'pool'/,
    );
  });

  it('answers ERR_UNAVAILABLE naming the URL without its password when the database is down', async () => {
    const port = await closedPort();
    const store = new PostgresStore({ connectionString: `postgres://bob:hunter2@127.0.0.1:${port}/db` });
    const error = await store.ready().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect((error as Error).message).toContain(`postgres://bob:***@127.0.0.1:${port}/db`);
    expect((error as Error).message).not.toContain('hunter2');
    await store.close();
  });
});

const reachable = await postgresReachable();

describe.skipIf(!reachable)('PostgresStore on a real database', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  const open: PostgresStore[] = [];
  const t: TestServer[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterEach(async () => {
    for (const server of t.splice(0)) await server.close();
    for (const store of open.splice(0)) await store.close();
  });
  afterAll(async () => {
    await admin?.end();
    await database?.drop();
  });
  const store = (options: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}) => {
    const made = new PostgresStore({ connectionString: database.url, ...options });
    open.push(made);
    return made;
  };
  const tablesOf = async (schema: string) =>
    (
      await admin.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [schema],
      )
    ).rows.map((row) => row.table_name);

  it('keeps to its own schema, and reopens it with its tasks', async () => {
    const first = store({ schema: 'own' });
    await first.submit({ tasks: specs(3) });
    expect(await tablesOf('own')).toEqual([
      'attempt_logs',
      'attempts',
      'bottle_migrations',
      'owned_jobs',
      'scan_counts',
      'scan_durations',
      'scan_ends_told',
      'scan_minutes',
      'scans',
      'task_shapes',
      'tasks',
      'workers',
    ]);
    expect(await tablesOf('public')).toEqual([]);
    const again = store({ connectionString: `${database.url}?schema=own` });
    expect((await again.listScans()).scans[0]?.total).toBe(3);
  });

  it("refuses a schema holding another application's tables, and creates nothing there", async () => {
    await admin.query('CREATE SCHEMA shop; CREATE TABLE shop.invoices (id int)');
    const error = await store({ schema: 'shop' })
      .ready()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_DATABASE',
      message: expect.stringMatching(/invoices.*\?schema=/),
    });
    expect(await tablesOf('shop')).toEqual(['invoices']);
  });

  it('refuses a schema written by a newer bottle', async () => {
    await store({ schema: 'future' }).ready();
    await admin.query('INSERT INTO future.bottle_migrations (version) VALUES (99)');
    const error = await store({ schema: 'future' })
      .ready()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_DATABASE', message: expect.stringMatching(/version 99/) });
  });

  it('refuses a login the database rejects, with ERR_DATABASE', async () => {
    const url = new URL(database.url);
    url.username = 'no_such_role';
    url.password = 'hunter2';
    const error = await store({ connectionString: url.toString() })
      .ready()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_DATABASE',
      message: expect.stringMatching(/refused the login/),
    });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('migrates once when five servers open an empty schema at the same moment', async () => {
    const stores = Array.from({ length: 5 }, () => store({ schema: 'race' }));
    await Promise.all(stores.map((s) => s.ready()));
    const { rows } = await admin.query('SELECT version FROM race.bottle_migrations');
    expect(rows).toEqual(migrations.map((_, i) => ({ version: i + 1 })));
  });

  it('fills the counts its triggers keep when it upgrades a version-2 schema', async () => {
    await admin.query('CREATE SCHEMA old; SET search_path = old');
    await admin.query(migrations[0]!);
    await admin.query(migrations[1]!);
    await admin.query(
      'CREATE TABLE bottle_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    await admin.query('INSERT INTO bottle_migrations (version) VALUES (1), (2)');
    await admin.query("INSERT INTO scans (name, created_at) VALUES ('x', 0), ('y', 1)");
    const states = ['queued', 'done', 'done', 'failed', 'running', 'cancelled'];
    for (let i = 0; i < 60; i++) {
      const key = i.toString(16).padStart(64, '0');
      await admin.query(
        `INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, created_at, updated_at,
           not_before, started_at, finished_at) VALUES ($1, 't', '{}', $1, $2, $3, 3, 0, 0, 0, 0, $4)`,
        [key, i % 2 ? 'x' : 'y', states[i % states.length], 120_000 + i],
      );
    }
    await admin.query('SET search_path = public');
    const upgraded = store({ schema: 'old' });
    const scans = (await upgraded.listScans()).scans;
    expect(scans.map((scan) => [scan.name, scan.total, scan.counts.done, scan.counts.failed])).toEqual([
      ['x', 30, 10, 10],
      ['y', 30, 10, 0],
    ]);
    const activity = await upgraded.scanActivity('x');
    expect(activity.minutes).toEqual([{ minute: 2, done: 10, failed: 10 }]);
    expect(activity.durations).toEqual([{ bucket: 17, n: 10 }]);
  });

  it('claims with SKIP LOCKED: three stores claiming at once never lease a task twice', async () => {
    const stores = [store({ schema: 'skip' }), store({ schema: 'skip' }), store({ schema: 'skip' })];
    await stores[0]!.submit({ tasks: specs(600) });
    const leased: string[] = [];
    await Promise.all(
      stores.flatMap((s, i) =>
        [0, 1].map(async (j) => {
          for (;;) {
            const [tasks = []] = await s.claim([{ workerId: `w${i}${j}`, host: 'h', max: 7, waitMs: 0 }]);
            if (tasks.length === 0) return;
            leased.push(...tasks.map((task) => task.key));
          }
        }),
      ),
    );
    expect(leased).toHaveLength(600);
    expect(new Set(leased).size).toBe(600);
  });

  it('wakes a claim waiting on server B when a task is submitted through server A', async () => {
    const opener = async () => {
      const s = store({ schema: 'wake' });
      await s.ready();
      return s;
    };
    const a = await startTestServer({}, opener);
    const b = await startTestServer({}, opener);
    t.push(a, b);
    // The listening connections open with the routers: wait until both servers LISTEN.
    await waitFor(
      async () =>
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "wake.work"'`,
          )
        ).rowCount === 2,
      { what: 'both servers to LISTEN' },
    );
    const waiting = b.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 20_000 });
    await waitFor(() => b.server.router.waitingClaims === 1, { what: 'the claim to wait on B' });
    const submittedAt = performance.now();
    await a.call('POST', '/v1/tasks', { tasks: specs(1) });
    const reply = await waiting;
    const ms = performance.now() - submittedAt;
    expect(reply.body.tasks).toHaveLength(1);
    console.info(`submit on A woke the claim on B after ${ms.toFixed(1)} ms (submit answer included)`);
  });

  it('answers 503 ERR_UNAVAILABLE while the database is unreachable, and carries on once it is back', async () => {
    const proxy = await startProxy(5432);
    const url = new URL(database.url);
    url.port = String(proxy.port);
    url.searchParams.set('schema', 'lost');
    const opener = async () => {
      const s = new PostgresStore({ connectionString: url.toString(), connectTimeoutMs: 1_000 });
      open.push(s);
      await s.ready();
      return s;
    };
    const server = await startTestServer({}, opener);
    t.push(server);
    expect((await server.call('POST', '/v1/tasks', { tasks: specs(2) })).status).toBe(200);
    proxy.cut();
    const down = await server.call('GET', '/v1/scans');
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({
      code: 'ERR_UNAVAILABLE',
      message: expect.stringMatching(/unreachable/),
    });
    proxy.resume();
    const back = await server.call('POST', '/v1/claim', { ...worker, max: 5, waitMs: 0 });
    expect(back.status).toBe(200);
    expect(back.body.tasks).toHaveLength(2);
    await proxy.close();
  });
});

// Without PostgreSQL, one skipped test says why (with it, nothing is skipped).
if (!reachable) {
  describe('PostgresStore on a real database', () => {
    it.skip(postgresSkipReason, () => {});
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy to PostgreSQL that can drop every connection and refuse new ones, then accept again. */
async function startProxy(target: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((socket) => {
    if (refusing) {
      socket.destroy();
      return;
    }
    const upstream = createConnection(target);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    resume() {
      refusing = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
