import type Database from 'better-sqlite3';
import { type Declared, DeclaredCache } from '../store/declared.js';
import type { QueuePolicy } from '../store/policy.js';
import { RunTimeCache } from '../store/time-left.js';
import type { AttemptEnd } from '../store/transitions.js';

/** What each SQL operation gets: the connection, a statement cache, the clock and the policy. */
export interface SqlContext {
  db: Database.Database;
  /** Prepares once per SQL text, then reuses the statement. */
  stmt(sql: string): Database.Statement;
  /** When each worker's row was last written, and with which host: see touchWorker. */
  touched: Map<string, { host: string; at: number }>;
  /** The scans' run times, for claims that say how much time their worker has left. */
  runTimes: RunTimeCache;
  /** What each worker last declared it has, as written. */
  declared: DeclaredCache;
}

export interface OpContext extends SqlContext {
  now: number;
  policy: QueuePolicy;
}

export function createSqlContext(db: Database.Database): SqlContext {
  const cache = new Map<string, Database.Statement>();
  return {
    db,
    touched: new Map(),
    runTimes: new RunTimeCache(),
    declared: new DeclaredCache(),
    stmt(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** `last_seen` is kept to the second: a worker's row is written at most once a second per worker. */
const TOUCH_EVERY_MS = 1_000;

/**
 * Records that a worker was heard from; keeps the known host when the message names none. A worker
 * at batch 1 claims and reports many times a second: rewriting its row each time would add a
 * statement and a dirty page to every transaction.
 */
export function touchWorker(ctx: OpContext, workerId: string, host: string | undefined): void {
  const seen = ctx.touched.get(workerId);
  if (seen && ctx.now - seen.at < TOUCH_EVERY_MS && (!host || host === seen.host)) return;
  ctx.touched.set(workerId, { host: host || seen?.host || '', at: ctx.now });
  ctx
    .stmt(
      `INSERT INTO workers (worker_id, host, first_seen, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (worker_id) DO UPDATE SET
         host = CASE WHEN excluded.host = '' THEN workers.host ELSE excluded.host END,
         last_seen = excluded.last_seen`,
    )
    .run(workerId, host ?? '', ctx.now, ctx.now);
}

/** Records what a worker declared it has, when it changed (its row exists: touchWorker made it). */
export function declareWorker(ctx: OpContext, workerId: string, declared: Declared): void {
  if (!ctx.declared.changed(workerId, declared)) return;
  ctx
    .stmt('UPDATE workers SET resources = ?, labels = ? WHERE worker_id = ?')
    .run(declared.resources, declared.labels, workerId);
}

/** Ends the attempt `attempt` of task `seq` as `end` says. */
export function endAttempt(ctx: OpContext, seq: number, attempt: number, end: AttemptEnd): void {
  ctx
    .stmt(
      'UPDATE attempts SET outcome = ?, ended_at = ?, error = ?, report_digest = ? WHERE task_seq = ? AND attempt = ?',
    )
    .run(end.outcome, end.ended_at, end.error, end.digest, seq, attempt);
}

/** Ends a running attempt because an operator cancelled its task. */
export function cancelAttempt(ctx: OpContext, seq: number, attempt: number): void {
  endAttempt(ctx, seq, attempt, { outcome: 'cancelled', error: null, ended_at: ctx.now, digest: null });
}
