/** Log tails per attempt (schema migration 5), and key prefixes resolved to keys. */
import { BottleError, type Report, type ReportResult, type TaskLogsResponse } from '@bottle/protocol';
import type { SqlContext } from './_context.js';

/** Keeps the tails of the accepted reports that carry some, for the attempt each reported on. */
export function saveLogs(ctx: SqlContext, reports: readonly Report[], results: ReportResult[]): void {
  reports.forEach((item, i) => {
    if (item.outcome === 'released' || !item.logs || !results[i]?.ok) return;
    ctx
      .stmt(
        `INSERT OR REPLACE INTO attempt_logs (task_seq, attempt, stdout, stderr)
         SELECT seq, attempt_count, ?, ? FROM tasks WHERE key = ?`,
      )
      .run(item.logs.stdout ?? '', item.logs.stderr ?? '', item.key);
  });
}

export function getLogs(ctx: SqlContext, key: string, attempt: number | undefined): TaskLogsResponse {
  const task = ctx.stmt('SELECT seq, attempt_count FROM tasks WHERE key = ?').get(key) as
    | { seq: number; attempt_count: number }
    | undefined;
  if (!task) throw new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
  const wanted = attempt ?? task.attempt_count;
  if (wanted < 1 || wanted > task.attempt_count) {
    const has =
      task.attempt_count === 0 ? 'it has not started yet' : `its attempts are 1..${task.attempt_count}`;
    throw new BottleError('ERR_NOT_FOUND', `task ${key} has no attempt ${wanted}: ${has}`);
  }
  const row = ctx
    .stmt('SELECT stdout, stderr FROM attempt_logs WHERE task_seq = ? AND attempt = ?')
    .get(task.seq, wanted) as { stdout: string; stderr: string } | undefined;
  return { key, attempt: wanted, stdout: row?.stdout ?? '', stderr: row?.stderr ?? '' };
}

/** The one key that starts with `prefix` (8 to 64 hex digits), through the keys' unique index. */
export function resolveKey(ctx: SqlContext, prefix: string): string {
  if (prefix.length === 64) return prefix;
  const rows = ctx
    .stmt('SELECT key FROM tasks WHERE key >= ? AND key < ? ORDER BY key LIMIT 2')
    .all(prefix, `${prefix}g`) as { key: string }[];
  return onlyKey(prefix, rows);
}

/** The rule of every store: a prefix names one key, or it is an error that says what to do. */
export function onlyKey(prefix: string, rows: readonly { key: string }[]): string {
  if (rows.length === 0) {
    throw new BottleError('ERR_NOT_FOUND', `no task key starts with ${prefix}; list tasks with bottle ls`);
  }
  if (rows.length > 1) {
    throw new BottleError(
      'ERR_AMBIGUOUS_KEY',
      `several task keys start with ${prefix} (${rows.map((r) => r.key.slice(0, prefix.length + 4)).join(', ')}...): give more of the key`,
    );
  }
  return rows[0]!.key;
}
