/** Log tails per attempt (schema migration 5), and key prefixes resolved to keys. */
import type { Report, TaskLogsResponse } from '@bottle/protocol';
import { attemptNotFound, onlyKey, taskNotFound } from '../store/messages.js';
import type { SqlContext } from './_context.js';

/** Keeps the tails of the applied reports that carry some, for the attempt each reported on. */
export function saveLogs(ctx: SqlContext, reports: readonly Report[], applied: readonly boolean[]): void {
  reports.forEach((item, i) => {
    if (item.outcome === 'released' || !item.logs || !applied[i]) return;
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
  if (!task) throw taskNotFound(key);
  const wanted = attempt ?? task.attempt_count;
  if (wanted < 1 || wanted > task.attempt_count) throw attemptNotFound(key, wanted, task.attempt_count);
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
