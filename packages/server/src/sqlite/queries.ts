/** The read side: tasks (filtered, paginated), one task's history, workers (scans: scans.ts). */
import {
  type LegacyTask,
  type ListTasksResponse,
  type ListWorkersResponse,
  type TaskDetailResponse,
  taskStates,
} from '@bottle/protocol';
import { taskNotFound } from '../store/messages.js';
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
import type { ListTasksFilter } from '../store/store.js';
import type { SqlContext } from './_context.js';

export function listTasks(ctx: SqlContext, filter: ListTasksFilter): ListTasksResponse {
  const where: string[] = [];
  const args: Record<string, string | number> = { limit: filter.limit };
  if (filter.cursor !== undefined) {
    where.push('seq > @cursor');
    args['cursor'] = cursorSeq(filter.cursor);
  }
  for (const [name, column] of [
    ['task', 'task'],
    ['worker', 'worker_id'],
  ] as const) {
    const value = filter[name];
    if (value !== undefined) {
      where.push(`${column} = @${name}`);
      args[name] = value;
    }
  }
  if (filter.key !== undefined) {
    // A range of the keys' unique index.
    where.push('key >= @key AND key < @keyEnd');
    args['key'] = filter.key;
    args['keyEnd'] = `${filter.key}g`;
  }
  if (filter.q !== undefined) {
    // Reads the parameters of each task in turn until the page is full: fast for a frequent value.
    where.push('EXISTS (SELECT 1 FROM json_each(tasks.params) p WHERE instr(CAST(p.value AS TEXT), @q) > 0)');
    args['q'] = filter.q;
  }
  const branches = indexBranches(ctx, filter);
  let sql: string;
  if (branches) {
    // One range of the (scan, state, seq) index per pair, each stopping after a page, merged by seq:
    // a page costs the same deep in a scan of a million tasks as at its start.
    const parts = branches.map(([scan, state], i) => {
      args[`scan${i}`] = scan;
      args[`state${i}`] = state;
      const clauses = [`scan = @scan${i}`, `state = @state${i}`, ...where].join(' AND ');
      return `SELECT * FROM (SELECT * FROM tasks WHERE ${clauses} ORDER BY seq LIMIT @limit)`;
    });
    sql = `${parts.join(' UNION ALL ')} ORDER BY seq LIMIT @limit`;
  } else {
    for (const name of ['state', 'scan'] as const) {
      const value = filter[name];
      if (value !== undefined) {
        where.push(`${name} = @${name}`);
        args[name] = value;
      }
    }
    sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT @limit`;
  }
  // Built from a fixed set of clauses, so the statement cache stays small.
  const rows = ctx.stmt(sql).all(args) as TaskRow[];
  const last = rows.at(-1);
  return {
    tasks: rows.map(toTaskInfo),
    nextCursor: rows.length === filter.limit && last ? String(last.seq) : null,
  };
}

/** Most scans a state filter reads by index, one range each; past it, the table is read in order. */
const MAX_BRANCHES = 64;

/** The (scan, state) pairs to read by index, or null when a plain read in seq order is the better plan. */
function indexBranches(ctx: SqlContext, filter: ListTasksFilter): [string, string][] | null {
  if (filter.scan !== undefined && filter.state !== undefined) return null; // one range already
  if (filter.scan !== undefined) return taskStates.map((state) => [filter.scan as string, state]);
  if (filter.state === undefined) return null;
  const scans = ctx.stmt('SELECT name FROM scans LIMIT ?').all(MAX_BRANCHES + 1) as { name: string }[];
  if (scans.length > MAX_BRANCHES) return null;
  return scans.map(({ name }) => [name, filter.state as string]);
}

export function getTask(ctx: SqlContext, key: string): TaskDetailResponse {
  const row = ctx.stmt('SELECT * FROM tasks WHERE key = ?').get(key) as TaskRow | undefined;
  if (!row) throw taskNotFound(key);
  const attempts = ctx
    .stmt(
      `SELECT attempt, worker_id, host, outcome, started_at, ended_at, error
       FROM attempts WHERE task_seq = ? ORDER BY attempt`,
    )
    .all(row.seq) as AttemptRow[];
  return { task: toTaskInfo(row), attempts: attempts.map(toAttemptInfo) };
}

// Through the running tasks' own index: the planner would otherwise walk every task to group them.
/** All workers, or (with `seenSince`) those heard from since then and those holding a lease. */
export function listWorkers(ctx: SqlContext, seenSince?: number): ListWorkersResponse {
  const rows = ctx
    .stmt(
      `SELECT w.worker_id, w.host, w.first_seen, w.last_seen, w.resources, w.labels, coalesce(r.n, 0) AS running
       FROM workers w LEFT JOIN (
         SELECT worker_id, count(*) AS n FROM tasks INDEXED BY tasks_leased WHERE state = 'running' GROUP BY worker_id
       ) r ON r.worker_id = w.worker_id
       WHERE w.last_seen >= ? OR r.n > 0
       ORDER BY w.last_seen DESC`,
    )
    .all(seenSince ?? Number.MIN_SAFE_INTEGER) as WorkerRow[];
  return { workers: rows.map(toWorkerInfo) };
}

export function listLegacy(ctx: SqlContext, which: 'queued' | 'all', limit: number): LegacyTask[] {
  const sql =
    which === 'queued'
      ? `SELECT task, params FROM tasks WHERE state = 'queued' AND shape IS NULL ORDER BY ${QUEUE_ORDER} LIMIT ?`
      : 'SELECT task, params FROM tasks ORDER BY seq LIMIT ?';
  return (ctx.stmt(sql).all(limit) as Pick<TaskRow, 'task' | 'params'>[]).map(toLegacyTask);
}
