/** Operators' verbs: cancel and rerun, for one task or a whole scan; one statement per scan verb. */
import { BottleError, type CountResponse } from '@bottle/protocol';
import type { TaskRow } from '../sqlite/_rows.js';
import { FINISHED_STATES } from '../sqlite/submit.js';
import { notifyWork, type PgContext, rows } from './_context.js';

async function findTask(ctx: PgContext, key: string): Promise<Pick<TaskRow, 'seq' | 'state'>> {
  const [row] = await rows<Pick<TaskRow, 'seq' | 'state'>>(
    ctx,
    'SELECT seq, state FROM tasks WHERE key = $1 FOR UPDATE',
    [key],
  );
  if (!row) throw new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
  return row;
}

export async function assertScan(ctx: Pick<PgContext, 'db'>, name: string): Promise<void> {
  if ((await rows(ctx, 'SELECT 1 FROM scans WHERE name = $1', [name])).length === 0) {
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
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
  UPDATE tasks t SET state = 'cancelled', lease_expires_at = NULL, finished_at = $2, updated_at = $2
  FROM chosen c WHERE t.seq = c.seq
)
SELECT count(*)::int AS n FROM chosen`;

export async function cancelTask(ctx: PgContext, key: string): Promise<void> {
  const row = await findTask(ctx, key);
  if (row.state === 'cancelled') return;
  if (row.state !== 'queued' && row.state !== 'running') {
    throw new BottleError(
      'ERR_CONFLICT',
      `task ${key} is ${row.state}, so there is nothing to cancel; rerun it to run it again`,
    );
  }
  await ctx.db.query(cancelWhere('seq = $1'), [row.seq, ctx.now]);
}

export async function cancelScan(ctx: PgContext, name: string): Promise<CountResponse> {
  await assertScan(ctx, name);
  const [row] = await rows<{ n: number }>(ctx, cancelWhere('scan = $1'), [name, ctx.now]);
  return { count: row?.n ?? 0 };
}

// A rerun starts afresh: a full attempt budget, no result, no error. The attempts stay in history.
const REQUEUE_SET = `state = 'queued', charged = 0, not_before = $2, updated_at = $2, worker_id = NULL,
  host = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL, finished_at = NULL,
  result = NULL, error = NULL`;

export async function rerunTask(ctx: PgContext, key: string): Promise<void> {
  const row = await findTask(ctx, key);
  if (row.state === 'queued' || row.state === 'running') {
    throw new BottleError('ERR_CONFLICT', `task ${key} is ${row.state} already; rerun only finished tasks`);
  }
  await ctx.db.query(`UPDATE tasks SET ${REQUEUE_SET} WHERE seq = $1`, [row.seq, ctx.now]);
  await notifyWork(ctx);
}

export async function rerunScan(
  ctx: PgContext,
  name: string,
  only: 'failed' | 'all',
): Promise<CountResponse> {
  await assertScan(ctx, name);
  const states = only === 'all' ? FINISHED_STATES : "('failed', 'cancelled')";
  const result = await ctx.db.query(
    `UPDATE tasks SET ${REQUEUE_SET} WHERE scan = $1 AND state IN ${states}`,
    [name, ctx.now],
  );
  const count = result.rowCount ?? 0;
  if (count > 0) await notifyWork(ctx);
  return { count };
}
