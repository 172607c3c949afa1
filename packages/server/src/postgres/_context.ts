/** What each SQL operation gets: a connection (inside a transaction or not), the clock and the policy. */
import type pg from 'pg';
import type { DeclaredCache } from '../store/declared.js';
import type { ShapeCache } from '../store/fit.js';
import type { QueuePolicy } from '../store/policy.js';
import type { RunTimeCache } from '../store/time-left.js';

export interface PgContext {
  /** The pool for a single statement, or the client holding the current transaction. */
  db: pg.Pool | pg.PoolClient;
  now: number;
  policy: QueuePolicy;
  /** The LISTEN/NOTIFY channel of this schema: a statement that makes work ready calls `notifyWork`. */
  channel: string;
  /** The scans' run times, for claims that say how much time their worker has left. */
  runTimes: RunTimeCache;
  /** The shapes of tasks with needs, for claims of workers that declared what they have. */
  shapes: ShapeCache;
  /** What each worker last declared it has, as written. */
  declared: DeclaredCache;
  /** Runs `fn` in a transaction (the current one, when `db` holds one already). */
  transaction<T>(fn: (ctx: PgContext) => Promise<T>): Promise<T>;
}

/** Rows of a query, typed by the caller. */
export async function rows<T>(ctx: Pick<PgContext, 'db'>, sql: string, values: unknown[] = []): Promise<T[]> {
  return (await ctx.db.query(sql, values)).rows as T[];
}

/**
 * Tells every server on this database that work may be ready (a submit, a release, a requeue).
 * Inside a transaction, PostgreSQL delivers it at commit, and only if the transaction commits.
 */
export async function notifyWork(ctx: PgContext): Promise<void> {
  await ctx.db.query('SELECT pg_notify($1, $2)', [ctx.channel, '']);
}

/** Records that a worker was heard from; keeps the known host when the message names none. The upsert, with the placeholders of the statement it goes into (a CTE, or alone). */
export const touchWorkerSql = (worker: string, host: string, now: string) =>
  `INSERT INTO workers (worker_id, host, first_seen, last_seen) VALUES (${worker}, ${host}, ${now}, ${now})
  ON CONFLICT (worker_id) DO UPDATE SET
    host = CASE WHEN excluded.host = '' THEN workers.host ELSE excluded.host END,
    last_seen = excluded.last_seen`;

export async function touchWorker(ctx: PgContext, workerId: string, host: string | undefined): Promise<void> {
  await ctx.db.query(touchWorkerSql('$1', '$2', '$3'), [workerId, host ?? '', ctx.now]);
}

/** Records several workers as heard from in one statement (the last host named for each wins). */
export async function touchWorkers(
  ctx: PgContext,
  workers: readonly { workerId: string; host?: string | undefined }[],
): Promise<void> {
  const byId = new Map(workers.map((w) => [w.workerId, w.host ?? '']));
  await ctx.db.query(
    `INSERT INTO workers (worker_id, host, first_seen, last_seen)
     SELECT id, host, $3, $3 FROM unnest($1::text[], $2::text[]) AS w(id, host) ORDER BY id
     ON CONFLICT (worker_id) DO UPDATE SET
       host = CASE WHEN excluded.host = '' THEN workers.host ELSE excluded.host END,
       last_seen = excluded.last_seen`,
    [[...byId.keys()], [...byId.values()], ctx.now],
  );
}
