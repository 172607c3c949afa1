/** Operators' verbs: cancel and rerun, for one task or a whole scan. */
import type { CountResponse } from '@bottle/protocol';
import { notFinished, nothingToCancel, scanNotFound, taskNotFound } from '../store/messages.js';
import type { TaskRow } from '../store/rows.js';
import { cancelSet, requeueSet, rerunStates } from '../store/transitions.js';
import { cancelAttempt, type OpContext } from './_context.js';

function findTask(ctx: OpContext, key: string): TaskRow {
  const row = ctx.stmt('SELECT * FROM tasks WHERE key = ?').get(key) as TaskRow | undefined;
  if (!row) throw taskNotFound(key);
  return row;
}

export function assertScan(ctx: OpContext, name: string): void {
  if (!ctx.stmt('SELECT 1 FROM scans WHERE name = ?').get(name)) throw scanNotFound(name);
}

function cancelRow(ctx: OpContext, row: Pick<TaskRow, 'seq' | 'state' | 'attempt_count'>): void {
  if (row.state === 'running') cancelAttempt(ctx, row.seq, row.attempt_count);
  ctx.stmt(`UPDATE tasks SET ${cancelSet('@now')} WHERE seq = @seq`).run({ now: ctx.now, seq: row.seq });
}

export function cancelTask(ctx: OpContext, key: string): void {
  const row = findTask(ctx, key);
  if (row.state === 'cancelled') return;
  if (row.state !== 'queued' && row.state !== 'running') throw nothingToCancel(key, row.state);
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

export function rerunTask(ctx: OpContext, key: string): void {
  const row = findTask(ctx, key);
  if (row.state === 'queued' || row.state === 'running') throw notFinished(key, row.state);
  ctx.stmt(`UPDATE tasks SET ${requeueSet('@now')} WHERE seq = @seq`).run({ now: ctx.now, seq: row.seq });
}

export function rerunScan(ctx: OpContext, name: string, only: 'failed' | 'all'): CountResponse {
  assertScan(ctx, name);
  const { changes } = ctx
    .stmt(`UPDATE tasks SET ${requeueSet('@now')} WHERE scan = @scan AND state IN ${rerunStates(only)}`)
    .run({ now: ctx.now, scan: name });
  return { count: changes };
}

/** Sets the priority of the scan's unfinished tasks (a running one keeps it for a retry). */
export function setScanPriority(ctx: OpContext, name: string, priority: number): CountResponse {
  assertScan(ctx, name);
  const { changes } = ctx
    .stmt(`UPDATE tasks SET priority = ? WHERE scan = ? AND state IN ('queued', 'running')`)
    .run(priority, name);
  return { count: changes };
}
