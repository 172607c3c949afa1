/** Log tails per attempt (migration 2), and key prefixes resolved to keys. */
import type { Report, TaskLogsResponse } from '@bottle/protocol';
import { attemptNotFound, onlyKey, taskNotFound } from '../store/messages.js';
import { type PgContext, rows } from './_context.js';

type ReadContext = Pick<PgContext, 'db'>;

/** Keeps the tails of the applied reports that carry some, for the attempt each reported on: one statement. */
export async function saveLogs(
  ctx: ReadContext,
  reports: readonly Report[],
  applied: readonly boolean[],
): Promise<void> {
  const keys: string[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  reports.forEach((item, i) => {
    if (item.outcome === 'released' || !item.logs || !applied[i]) return;
    keys.push(item.key);
    stdout.push(item.logs.stdout ?? '');
    stderr.push(item.logs.stderr ?? '');
  });
  if (keys.length === 0) return;
  await ctx.db.query(
    `INSERT INTO attempt_logs (task_seq, attempt, stdout, stderr)
     SELECT t.seq, t.attempt_count, l.stdout, l.stderr
     FROM unnest($1::text[], $2::text[], $3::text[]) AS l(key, stdout, stderr) JOIN tasks t ON t.key = l.key
     ON CONFLICT (task_seq, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr`,
    [keys, stdout, stderr],
  );
}

export async function getLogs(
  ctx: ReadContext,
  key: string,
  attempt: number | undefined,
): Promise<TaskLogsResponse> {
  const [task] = await rows<{ seq: number; attempt_count: number }>(
    ctx,
    'SELECT seq, attempt_count FROM tasks WHERE key = $1',
    [key],
  );
  if (!task) throw taskNotFound(key);
  const wanted = attempt ?? task.attempt_count;
  if (wanted < 1 || wanted > task.attempt_count) throw attemptNotFound(key, wanted, task.attempt_count);
  const [row] = await rows<{ stdout: string; stderr: string }>(
    ctx,
    'SELECT stdout, stderr FROM attempt_logs WHERE task_seq = $1 AND attempt = $2',
    [task.seq, wanted],
  );
  return { key, attempt: wanted, stdout: row?.stdout ?? '', stderr: row?.stderr ?? '' };
}

/** The one key that starts with `prefix` (8 to 64 hex digits), through the keys' unique index. */
export async function resolveKey(ctx: ReadContext, prefix: string): Promise<string> {
  if (prefix.length === 64) return prefix;
  const found = await rows<{ key: string }>(
    ctx,
    'SELECT key FROM tasks WHERE key >= $1 AND key < $2 ORDER BY key LIMIT 2',
    [prefix, `${prefix}g`],
  );
  return onlyKey(prefix, found);
}
