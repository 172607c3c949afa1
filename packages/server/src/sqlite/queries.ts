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
  taskStates,
} from '@bottle/protocol';
import type { ListTasksFilter } from '../store.js';
import type { SqlContext } from './_context.js';
import { type AttemptRow, type TaskRow, toAttemptInfo, toLegacyTask, toTaskInfo } from './_rows.js';

export function listTasks(ctx: SqlContext, filter: ListTasksFilter): ListTasksResponse {
  const where: string[] = [];
  const args: Record<string, string | number> = { limit: filter.limit };
  if (filter.cursor !== undefined) {
    if (!/^\d{1,16}$/.test(filter.cursor)) {
      throw new BottleError('ERR_BAD_REQUEST', 'cursor: pass the nextCursor of the previous page unchanged');
    }
    where.push('seq > @cursor');
    args['cursor'] = Number(filter.cursor);
  }
  for (const column of ['state', 'scan', 'task'] as const) {
    const value = filter[column];
    if (value !== undefined) {
      where.push(`${column} = @${column}`);
      args[column] = value;
    }
  }
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT @limit`;
  // Built from a fixed set of clauses, so the statement cache stays small.
  const rows = ctx.stmt(sql).all(args) as TaskRow[];
  const last = rows.at(-1);
  return {
    tasks: rows.map(toTaskInfo),
    nextCursor: rows.length === filter.limit && last ? String(last.seq) : null,
  };
}

export function getTask(ctx: SqlContext, key: string): TaskDetailResponse {
  const row = ctx.stmt('SELECT * FROM tasks WHERE key = ?').get(key) as TaskRow | undefined;
  if (!row) throw new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
  const attempts = ctx
    .stmt(
      `SELECT attempt, worker_id, host, outcome, started_at, ended_at, error
       FROM attempts WHERE task_seq = ? ORDER BY attempt`,
    )
    .all(row.seq) as AttemptRow[];
  return { task: toTaskInfo(row), attempts: attempts.map(toAttemptInfo) };
}

export interface ScanRow {
  name: string;
  created_at: number;
  lost_attempts: number;
}

export function emptyCounts(): StateCounts {
  return Object.fromEntries(taskStates.map((state) => [state, 0])) as StateCounts;
}

export function scanInfo(row: ScanRow, counts: StateCounts): ScanInfo {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { name: row.name, createdAt: row.created_at, total, counts, lostAttempts: row.lost_attempts };
}

export function listScans(ctx: SqlContext): ListScansResponse {
  const scans = ctx
    .stmt('SELECT name, created_at, lost_attempts FROM scans ORDER BY created_at, name')
    .all() as ScanRow[];
  const counts = new Map(scans.map((scan) => [scan.name, emptyCounts()]));
  // The covering index (scan, state, seq) answers this without reading the tasks themselves.
  const rows = ctx.stmt('SELECT scan, state, count(*) AS n FROM tasks GROUP BY scan, state').all() as {
    scan: string;
    state: keyof StateCounts;
    n: number;
  }[];
  for (const row of rows) {
    const scanCounts = counts.get(row.scan);
    if (scanCounts) scanCounts[row.state] = row.n;
  }
  return { scans: scans.map((scan) => scanInfo(scan, counts.get(scan.name)!)) };
}

export function getScan(ctx: SqlContext, name: string): ScanInfo {
  const scan = ctx.stmt('SELECT name, created_at, lost_attempts FROM scans WHERE name = ?').get(name) as
    | ScanRow
    | undefined;
  if (!scan)
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
  const counts = emptyCounts();
  const rows = ctx.stmt('SELECT state, count(*) AS n FROM tasks WHERE scan = ? GROUP BY state').all(name) as {
    state: keyof StateCounts;
    n: number;
  }[];
  for (const row of rows) counts[row.state] = row.n;
  return scanInfo(scan, counts);
}

export function listWorkers(ctx: SqlContext): ListWorkersResponse {
  const rows = ctx
    .stmt(
      `SELECT w.worker_id, w.host, w.first_seen, w.last_seen, coalesce(r.n, 0) AS running
       FROM workers w LEFT JOIN (
         SELECT worker_id, count(*) AS n FROM tasks WHERE state = 'running' GROUP BY worker_id
       ) r ON r.worker_id = w.worker_id
       ORDER BY w.last_seen DESC`,
    )
    .all() as { worker_id: string; host: string; first_seen: number; last_seen: number; running: number }[];
  return {
    workers: rows.map((row) => ({
      workerId: row.worker_id,
      host: row.host,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      running: row.running,
    })),
  };
}

export function listLegacy(ctx: SqlContext, which: 'queued' | 'all', limit: number): LegacyTask[] {
  const sql =
    which === 'queued'
      ? `SELECT task, params FROM tasks WHERE state = 'queued' ORDER BY not_before, seq LIMIT ?`
      : 'SELECT task, params FROM tasks ORDER BY seq LIMIT ?';
  return (ctx.stmt(sql).all(limit) as Pick<TaskRow, 'task' | 'params'>[]).map(toLegacyTask);
}
