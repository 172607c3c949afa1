/** The read side: tasks (filtered, paginated), one task's history, scans with counts, workers. */
import type {
  LegacyTask,
  ListScansResponse,
  ListTasksResponse,
  ListWorkersResponse,
  ScanInfo,
  TaskDetailResponse,
} from '@bottle/protocol';
import { scanNotFound, taskNotFound } from '../store/messages.js';
import { QUEUE_ORDER } from '../store/queue-order.js';
import {
  type AttemptRow,
  cursorSeq,
  type TaskRow,
  toAttemptInfo,
  toLegacyTask,
  toTaskInfo,
  toWorkerInfo,
  type WorkerRow,
} from '../store/rows.js';
import {
  assembleScans,
  type CountRow,
  type RecentRow,
  type RunningRow,
  recentSince,
  type ScanRow,
} from '../store/scans.js';
import type { ListTasksFilter } from '../store/store.js';
import { type PgContext, rows } from './_context.js';

type ReadContext = Pick<PgContext, 'db'>;

export async function listTasks(ctx: ReadContext, filter: ListTasksFilter): Promise<ListTasksResponse> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (value: unknown) => {
    args.push(value);
    return `$${args.length}`;
  };
  if (filter.cursor !== undefined) where.push(`seq > ${arg(cursorSeq(filter.cursor))}`);
  for (const [name, column] of [
    ['state', 'state'],
    ['scan', 'scan'],
    ['task', 'task'],
    ['worker', 'worker_id'],
  ] as const) {
    const value = filter[name];
    if (value !== undefined) where.push(`${column} = ${arg(value)}`);
  }
  // A range of the keys' unique index.
  if (filter.key !== undefined) where.push(`key >= ${arg(filter.key)} AND key < ${arg(`${filter.key}g`)}`);
  if (filter.q !== undefined) {
    // As SQLite's json_each: a string value as its text, any other value as its JSON.
    where.push(
      `EXISTS (SELECT 1 FROM json_each_text(tasks.params::json) p WHERE strpos(p.value, ${arg(filter.q)}) > 0)`,
    );
  }
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ${arg(filter.limit)}`;
  const found = await rows<TaskRow>(ctx, sql, args);
  const last = found.at(-1);
  return {
    tasks: found.map(toTaskInfo),
    nextCursor: found.length === filter.limit && last ? String(last.seq) : null,
  };
}

export async function getTask(ctx: ReadContext, key: string): Promise<TaskDetailResponse> {
  const [row] = await rows<TaskRow>(ctx, 'SELECT * FROM tasks WHERE key = $1', [key]);
  if (!row) throw taskNotFound(key);
  const attempts = await rows<AttemptRow>(
    ctx,
    `SELECT attempt, worker_id, host, outcome, started_at, ended_at, error
     FROM attempts WHERE task_seq = $1 ORDER BY attempt`,
    [row.seq],
  );
  return { task: toTaskInfo(row), attempts: attempts.map(toAttemptInfo) };
}

// The scans, then what store/scans.ts assembles them from (the counts summed over their shards), in
// one round trip each: $1 the scan (null for all), $2 the first minute of the rate window.
const SCANS = `SELECT name, created_at, lost_attempts, reduce_task, objective FROM scans
  WHERE $1::text IS NULL OR name = $1 ORDER BY created_at, name`;
const COUNTS = `SELECT scan, state, sum(n)::int AS n FROM scan_counts
  WHERE $1::text IS NULL OR scan = $1 GROUP BY scan, state`;
const RECENT = `SELECT scan, sum(done)::int AS done, sum(failed)::int AS failed FROM scan_minutes
  WHERE minute >= $2 AND ($1::text IS NULL OR scan = $1) GROUP BY scan`;
const RUNNING = `SELECT DISTINCT ON (scan) scan, key, started_at, worker_id FROM tasks
  WHERE state = 'running' AND ($1::text IS NULL OR scan = $1) ORDER BY scan, started_at, seq`;

async function readScans(ctx: ReadContext, now: number, name: string | null): Promise<ScanInfo[]> {
  const [scans, counts, recent, running] = await Promise.all([
    rows<ScanRow>(ctx, SCANS, [name]),
    rows<CountRow>(ctx, COUNTS, [name]),
    rows<RecentRow>(ctx, RECENT, [name, recentSince(now)]),
    rows<RunningRow>(ctx, RUNNING, [name]),
  ]);
  return assembleScans(scans, { counts, recent, running }, now);
}

export async function listScans(ctx: ReadContext, now: number): Promise<ListScansResponse> {
  return { scans: await readScans(ctx, now, null) };
}

export async function getScan(ctx: ReadContext, name: string, now: number): Promise<ScanInfo> {
  const [scan] = await readScans(ctx, now, name);
  if (!scan) throw scanNotFound(name);
  return scan;
}

/** All workers, or (with `seenSince`) those heard from since then and those holding a lease. */
export async function listWorkers(ctx: ReadContext, seenSince?: number): Promise<ListWorkersResponse> {
  const found = await rows<WorkerRow>(
    ctx,
    `SELECT w.worker_id, w.host, w.first_seen, w.last_seen, w.resources, w.labels, coalesce(r.n, 0)::int AS running
     FROM workers w LEFT JOIN (
       SELECT worker_id, count(*) AS n FROM tasks WHERE state = 'running' GROUP BY worker_id
     ) r ON r.worker_id = w.worker_id
     WHERE w.last_seen >= $1 OR r.n > 0
     ORDER BY w.last_seen DESC`,
    [seenSince ?? Number.MIN_SAFE_INTEGER],
  );
  return { workers: found.map(toWorkerInfo) };
}

export async function listLegacy(
  ctx: ReadContext,
  which: 'queued' | 'all',
  limit: number,
): Promise<LegacyTask[]> {
  const sql =
    which === 'queued'
      ? `SELECT task, params FROM tasks WHERE state = 'queued' AND shape IS NULL ORDER BY ${QUEUE_ORDER} LIMIT $1`
      : 'SELECT task, params FROM tasks ORDER BY seq LIMIT $1';
  return (await rows<Pick<TaskRow, 'task' | 'params'>>(ctx, sql, [limit])).map(toLegacyTask);
}
