import type Database from 'better-sqlite3';
import type { QueuePolicy } from '../store.js';

/** What each SQL operation gets: the connection, a statement cache, the clock and the policy. */
export interface SqlContext {
  db: Database.Database;
  /** Prepares once per SQL text, then reuses the statement. */
  stmt(sql: string): Database.Statement;
}

export interface OpContext extends SqlContext {
  now: number;
  policy: QueuePolicy;
}

export function createSqlContext(db: Database.Database): SqlContext {
  const cache = new Map<string, Database.Statement>();
  return {
    db,
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

/** Records that a worker was heard from; keeps the known host when the message names none. */
export function touchWorker(ctx: OpContext, workerId: string, host: string | undefined): void {
  ctx
    .stmt(
      `INSERT INTO workers (worker_id, host, first_seen, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (worker_id) DO UPDATE SET
         host = CASE WHEN excluded.host = '' THEN workers.host ELSE excluded.host END,
         last_seen = excluded.last_seen`,
    )
    .run(workerId, host ?? '', ctx.now, ctx.now);
}

/** Ends the attempt `attempt` of task `seq` with `outcome`. */
export function endAttempt(
  ctx: OpContext,
  seq: number,
  attempt: number,
  outcome: 'done' | 'failed' | 'lost' | 'released' | 'cancelled',
  endedAt: number,
  error: string | null = null,
): void {
  ctx
    .stmt('UPDATE attempts SET outcome = ?, ended_at = ?, error = ? WHERE task_seq = ? AND attempt = ?')
    .run(outcome, endedAt, error, seq, attempt);
}
