/**
 * The claim of a worker that tasks with needs may fit (store/fit.ts): one statement reads the head of
 * each index range that can serve it, tasks that ask nothing (tasks_queue) and each fitting shape
 * (tasks_shaped), at most what could be leased from each, merged in queue order. Its cost grows with
 * the shapes that fit, not with the queue.
 */
import { type Offer, takeFitting } from '../store/fit.js';
import { QUEUE_ORDER } from '../store/queue-order.js';
import type { OpContext } from './_context.js';

/** The columns a claim reads, with those the merge orders by and the shape the fit reads. */
export const CLAIM_COLUMNS =
  'seq, key, task, params, params_hash, scan, attempt_count, timeout_ms, max_attempts, charged, shape';

const READY = `state = 'queued' AND not_before <= @now AND task NOT IN (SELECT value FROM json_each(@exclude))
    AND scan NOT IN (SELECT value FROM json_each(@tooLong))`;

/** The statement for `count` fitting shapes (the statement cache keeps one per count). */
export function fittingSql(count: number): string {
  const columns = `${CLAIM_COLUMNS}, priority, not_before`;
  const parts = [
    `SELECT * FROM (SELECT ${columns} FROM tasks WHERE ${READY} AND shape IS NULL ORDER BY ${QUEUE_ORDER} LIMIT @max)`,
  ];
  for (let i = 0; i < count; i++) {
    parts.push(
      `SELECT * FROM (SELECT ${columns} FROM tasks WHERE ${READY} AND shape IS NOT NULL AND shape = @s${i}
         ORDER BY ${QUEUE_ORDER} LIMIT @n${i})`,
    );
  }
  return `${parts.join(' UNION ALL ')} ORDER BY ${QUEUE_ORDER}`;
}

/** The shapes of tasks ever submitted (a handful). */
export function knownShapes(ctx: OpContext): string[] {
  return ctx.stmt('SELECT shape FROM task_shapes').pluck().all() as string[];
}

/** The rows to lease, in queue order: what fits the offer, counted together. */
export function readFitting<T extends { shape: string | null }>(
  ctx: OpContext,
  fitting: readonly { shape: string; most: number }[],
  offer: Offer,
  max: number,
  exclude: readonly string[],
  tooLong: readonly string[],
): T[] {
  const args: Record<string, string | number> = {
    now: ctx.now,
    max,
    exclude: JSON.stringify(exclude),
    tooLong: JSON.stringify(tooLong),
  };
  fitting.forEach(({ shape, most }, i) => {
    args[`s${i}`] = shape;
    args[`n${i}`] = most;
  });
  const rows = ctx.stmt(fittingSql(fitting.length)).all(args) as T[];
  return takeFitting(rows, offer, max);
}
