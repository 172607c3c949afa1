/** Operators' verbs: cancel and rerun, for one task or a whole scan; one statement per scan verb. */
import type { CountResponse } from '@bottle/protocol';
import { notFinished, nothingToCancel, scanNotFound, taskNotFound } from '../store/messages.js';
import type { TaskRow } from '../store/rows.js';
import { cancelSet, requeueSet, rerunStates } from '../store/transitions.js';
import { notifyWork, type PgContext, rows } from './_context.js';

async function findTask(ctx: PgContext, key: string): Promise<Pick<TaskRow, 'seq' | 'state'>> {
  const [row] = await rows<Pick<TaskRow, 'seq' | 'state'>>(
    ctx,
    'SELECT seq, state FROM tasks WHERE key = $1 FOR UPDATE',
    [key],
  );
  if (!row) throw taskNotFound(key);
  return row;
}

export async function assertScan(ctx: Pick<PgContext, 'db'>, name: string): Promise<void> {
  if ((await rows(ctx, 'SELECT 1 FROM scans WHERE name = $1', [name])).length === 0) {
    throw scanNotFound(name);
  }
}

// $1 is the selection (`WHERE ...` over tasks), $now the clock. The lease token stays on the row,
// so that the worker's next heartbeat learns of the cancellation.
const cancelWhere = (where: string) => `
WITH chosen AS (
  SELECT seq, state, attempt_count FROM tasks WHERE ${where} AND state IN ('queued', 'running')
  ORDER BY seq FOR UPDATE
), ended AS (
  UPDATE attempts a SET outcome = 'cancelled', ended_at = $2
  FROM chosen c WHERE c.state = 'running' AND a.task_seq = c.seq AND a.attempt = c.attempt_count
), cancelled AS (
  UPDATE tasks t SET ${cancelSet('$2')}
  FROM chosen c WHERE t.seq = c.seq
)
SELECT count(*)::int AS n FROM chosen`;

export async function cancelTask(ctx: PgContext, key: string): Promise<void> {
  const row = await findTask(ctx, key);
  if (row.state === 'cancelled') return;
  if (row.state !== 'queued' && row.state !== 'running') throw nothingToCancel(key, row.state);
  await ctx.db.query(cancelWhere('seq = $1'), [row.seq, ctx.now]);
}

export async function cancelScan(ctx: PgContext, name: string): Promise<CountResponse> {
  await assertScan(ctx, name);
  const [row] = await rows<{ n: number }>(ctx, cancelWhere('scan = $1'), [name, ctx.now]);
  return { count: row?.n ?? 0 };
}

export async function rerunTask(ctx: PgContext, key: string): Promise<void> {
  const row = await findTask(ctx, key);
  if (row.state === 'queued' || row.state === 'running') throw notFinished(key, row.state);
  await ctx.db.query(`UPDATE tasks SET ${requeueSet('$2')} WHERE seq = $1`, [row.seq, ctx.now]);
  await notifyWork(ctx);
}

export async function rerunScan(
  ctx: PgContext,
  name: string,
  only: 'failed' | 'all',
): Promise<CountResponse> {
  await assertScan(ctx, name);
  const result = await ctx.db.query(
    `UPDATE tasks SET ${requeueSet('$2')} WHERE scan = $1 AND state IN ${rerunStates(only)}`,
    [name, ctx.now],
  );
  const count = result.rowCount ?? 0;
  if (count > 0) await notifyWork(ctx);
  return { count };
}

/** Sets the priority of the scan's unfinished tasks (a running one keeps it for a retry). */
export async function setScanPriority(
  ctx: PgContext,
  name: string,
  priority: number,
): Promise<CountResponse> {
  await assertScan(ctx, name);
  const result = await ctx.db.query(
    `UPDATE tasks SET priority = $2 WHERE scan = $1 AND state IN ('queued', 'running')`,
    [name, priority],
  );
  return { count: result.rowCount ?? 0 };
}
