/** Operators' verbs: cancel and rerun, for one task or a whole scan. */
import { BottleError, type CountResponse } from '@bottle/protocol';
import { endAttempt, type OpContext } from './_context.js';
import type { TaskRow } from './_rows.js';
import { FINISHED_STATES } from './submit.js';

function findTask(ctx: OpContext, key: string): TaskRow {
  const row = ctx.stmt('SELECT * FROM tasks WHERE key = ?').get(key) as TaskRow | undefined;
  if (!row) throw new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
  return row;
}

export function assertScan(ctx: OpContext, name: string): void {
  if (!ctx.stmt('SELECT 1 FROM scans WHERE name = ?').get(name)) {
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
  }
}

/** The lease token stays on the row, so that the worker's next heartbeat learns of the cancellation. */
function cancelRow(ctx: OpContext, row: Pick<TaskRow, 'seq' | 'state' | 'attempt_count'>): void {
  if (row.state === 'running') endAttempt(ctx, row.seq, row.attempt_count, 'cancelled', ctx.now);
  ctx
    .stmt(
      `UPDATE tasks SET state = 'cancelled', lease_expires_at = NULL, finished_at = ?, updated_at = ?
       WHERE seq = ?`,
    )
    .run(ctx.now, ctx.now, row.seq);
}

export function cancelTask(ctx: OpContext, key: string): void {
  const row = findTask(ctx, key);
  if (row.state === 'cancelled') return;
  if (row.state !== 'queued' && row.state !== 'running') {
    throw new BottleError(
      'ERR_CONFLICT',
      `task ${key} is ${row.state}, so there is nothing to cancel; rerun it to run it again`,
    );
  }
  cancelRow(ctx, row);
}

export function cancelScan(ctx: OpContext, name: string): CountResponse {
  assertScan(ctx, name);
  const rows = ctx
    .stmt(`SELECT seq, state, attempt_count FROM tasks WHERE scan = ? AND state IN ('queued', 'running')`)
    .all(name) as Pick<TaskRow, 'seq' | 'state' | 'attempt_count'>[];
  for (const row of rows) cancelRow(ctx, row);
  return { count: rows.length };
}

// A rerun starts afresh: a full attempt budget, no result, no error. The attempts stay in history.
const REQUEUE_SET = `state = 'queued', charged = 0, not_before = @now, updated_at = @now, worker_id = NULL,
  host = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL, finished_at = NULL,
  result = NULL, error = NULL`;

export function rerunTask(ctx: OpContext, key: string): void {
  const row = findTask(ctx, key);
  if (row.state === 'queued' || row.state === 'running') {
    throw new BottleError('ERR_CONFLICT', `task ${key} is ${row.state} already; rerun only finished tasks`);
  }
  ctx.stmt(`UPDATE tasks SET ${REQUEUE_SET} WHERE seq = @seq`).run({ now: ctx.now, seq: row.seq });
}

export function rerunScan(ctx: OpContext, name: string, only: 'failed' | 'all'): CountResponse {
  assertScan(ctx, name);
  const states = only === 'all' ? FINISHED_STATES : "('failed', 'cancelled')";
  const { changes } = ctx
    .stmt(`UPDATE tasks SET ${REQUEUE_SET} WHERE scan = @scan AND state IN ${states}`)
    .run({ now: ctx.now, scan: name });
  return { count: changes };
}
