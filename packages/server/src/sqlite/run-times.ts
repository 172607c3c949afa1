/**
 * The length of a task's run, as its worker measured it. A claim stamps `started_at` when the task
 * is leased, but a prefetched task may wait in the worker before it runs: with the worker's own
 * start and end, the row keeps the run's length, on the server's clock (the worker's clock may be
 * set differently, so only the difference of its two readings is used).
 */
import type { Report } from '@bottle/protocol';
import type { ScanRunTime } from '../store/time-left.js';
import type { OpContext, SqlContext } from './_context.js';

export function recordRunTimes(
  ctx: OpContext,
  reports: readonly Report[],
  applied: readonly boolean[],
): void {
  reports.forEach((item, i) => {
    if (!applied[i] || item.outcome === 'released') return;
    const { startedAt, endedAt } = item;
    if (startedAt === undefined || endedAt === undefined || endedAt < startedAt) return;
    // Never before the claim: a run cannot have started before its task was handed out.
    const started = ctx.now - (endedAt - startedAt);
    ctx
      .stmt('UPDATE tasks SET started_at = MAX(started_at, ?) WHERE key = ? AND started_at IS NOT NULL')
      .run(started, item.key);
    ctx
      .stmt(
        `UPDATE attempts SET started_at = MAX(started_at, ?)
         WHERE task_seq = (SELECT seq FROM tasks WHERE key = ?)
           AND attempt = (SELECT attempt_count FROM tasks WHERE key = ?)`,
      )
      .run(started, item.key, item.key);
  });
}

/** The mean run time of each scan's done tasks (see store/time-left.ts). */
export function scanRunTimes(ctx: SqlContext): ScanRunTime[] {
  return ctx
    .stmt(
      `SELECT scan, AVG(finished_at - started_at) AS meanMs FROM tasks
       WHERE state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY scan`,
    )
    .all() as ScanRunTime[];
}
