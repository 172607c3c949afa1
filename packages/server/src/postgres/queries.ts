/** The read side: tasks (filtered, paginated), one task's history, scans with counts, workers. */
import {
  BottleError,
  type LegacyTask,
  type ListScansResponse,
  type ListTasksResponse,
  type ListWorkersResponse,
  type ScanInfo,
  type StateCounts,
  type TaskDetailResponse,
} from '@bottle/protocol';
import { type AttemptRow, type TaskRow, toAttemptInfo, toLegacyTask, toTaskInfo } from '../sqlite/_rows.js';
import { emptyCounts, type ScanRow, scanInfo } from '../sqlite/queries.js';
import type { ListTasksFilter } from '../store.js';
import { type PgContext, rows } from './_context.js';

type ReadContext = Pick<PgContext, 'db'>;

export async function listTasks(ctx: ReadContext, filter: ListTasksFilter): Promise<ListTasksResponse> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.cursor !== undefined) {
    if (!/^\d{1,16}$/.test(filter.cursor)) {
      throw new BottleError('ERR_BAD_REQUEST', 'cursor: pass the nextCursor of the previous page unchanged');
    }
    args.push(Number(filter.cursor));
    where.push(`seq > $${args.length}`);
  }
  for (const column of ['state', 'scan', 'task'] as const) {
    const value = filter[column];
    if (value !== undefined) {
      args.push(value);
      where.push(`${column} = $${args.length}`);
    }
  }
  args.push(filter.limit);
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${args.length}`;
  const found = await rows<TaskRow>(ctx, sql, args);
  const last = found.at(-1);
  return {
    tasks: found.map(toTaskInfo),
    nextCursor: found.length === filter.limit && last ? String(last.seq) : null,
  };
}

export async function getTask(ctx: ReadContext, key: string): Promise<TaskDetailResponse> {
  const [row] = await rows<TaskRow>(ctx, 'SELECT * FROM tasks WHERE key = $1', [key]);
  if (!row) throw new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
  const attempts = await rows<AttemptRow>(
    ctx,
    `SELECT attempt, worker_id, host, outcome, started_at, ended_at, error
     FROM attempts WHERE task_seq = $1 ORDER BY attempt`,
    [row.seq],
  );
  return { task: toTaskInfo(row), attempts: attempts.map(toAttemptInfo) };
}

type CountRow = { scan: string; state: keyof StateCounts; n: number };

export async function listScans(ctx: ReadContext): Promise<ListScansResponse> {
  const scans = await rows<ScanRow>(
    ctx,
    'SELECT name, created_at, lost_attempts FROM scans ORDER BY created_at, name',
  );
  const counts = new Map(scans.map((scan) => [scan.name, emptyCounts()]));
  const found = await rows<CountRow>(
    ctx,
    'SELECT scan, state, count(*)::int AS n FROM tasks GROUP BY scan, state',
  );
  for (const row of found) {
    const scanCounts = counts.get(row.scan);
    if (scanCounts) scanCounts[row.state] = row.n;
  }
  return { scans: scans.map((scan) => scanInfo(scan, counts.get(scan.name)!)) };
}

export async function getScan(ctx: ReadContext, name: string): Promise<ScanInfo> {
  const [scan] = await rows<ScanRow>(
    ctx,
    'SELECT name, created_at, lost_attempts FROM scans WHERE name = $1',
    [name],
  );
  if (!scan)
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
  const counts = emptyCounts();
  const found = await rows<CountRow>(
    ctx,
    'SELECT state, count(*)::int AS n FROM tasks WHERE scan = $1 GROUP BY state',
    [name],
  );
  for (const row of found) counts[row.state] = row.n;
  return scanInfo(scan, counts);
}

export async function listWorkers(ctx: ReadContext): Promise<ListWorkersResponse> {
  const found = await rows<{
    worker_id: string;
    host: string;
    first_seen: number;
    last_seen: number;
    running: number;
  }>(
    ctx,
    `SELECT w.worker_id, w.host, w.first_seen, w.last_seen, coalesce(r.n, 0)::int AS running
     FROM workers w LEFT JOIN (
       SELECT worker_id, count(*) AS n FROM tasks WHERE state = 'running' GROUP BY worker_id
     ) r ON r.worker_id = w.worker_id
     ORDER BY w.last_seen DESC`,
  );
  return {
    workers: found.map((row) => ({
      workerId: row.worker_id,
      host: row.host,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      running: row.running,
    })),
  };
}

export async function listLegacy(
  ctx: ReadContext,
  which: 'queued' | 'all',
  limit: number,
): Promise<LegacyTask[]> {
  const sql =
    which === 'queued'
      ? `SELECT task, params FROM tasks WHERE state = 'queued' ORDER BY not_before, seq LIMIT $1`
      : 'SELECT task, params FROM tasks ORDER BY seq LIMIT $1';
  return (await rows<Pick<TaskRow, 'task' | 'params'>>(ctx, sql, [limit])).map(toLegacyTask);
}
