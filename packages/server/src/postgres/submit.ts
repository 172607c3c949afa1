/**
 * Submit: multi-row inserts of up to CHUNK tasks per statement (arrays through unnest, so the
 * statement text stays one), inside one transaction: a submit is all there or not at all.
 */
import type { SubmitResponse } from '@bottle/protocol';
import type { ScanSettings } from '../store/scan-settings.js';
import type { PreparedTask } from '../store/submit.js';
import { FINISHED_STATES, requeueSet } from '../store/transitions.js';
import { notifyWork, type PgContext, rows } from './_context.js';

/** Rows per statement: large enough to amortise the round trip, small enough to keep memory flat. */
const CHUNK = 5_000;

// ORDER BY ord keeps submission order in seq, which is the queue order among tasks ready at once.
// The scans are inserted by the same statement: foreign keys are checked at its end.
const INSERT_TASKS = `
WITH scans_added AS (
  INSERT INTO scans (name, created_at) SELECT DISTINCT unnest($9::text[]), $8::bigint
  ON CONFLICT DO NOTHING
), shapes_added AS (
  INSERT INTO task_shapes (shape) SELECT DISTINCT s FROM unnest($11::text[]) AS s WHERE s IS NOT NULL
  ON CONFLICT DO NOTHING
), inserted AS (
  INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, timeout_ms,
                     created_at, updated_at, not_before, priority, shape)
  SELECT key, task, params, params_hash, scan, 'queued', max_attempts, timeout_ms, $8, $8, $8, priority, shape
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
              $10::int[], $11::text[])
    WITH ORDINALITY AS i(key, task, params, params_hash, scan, max_attempts, timeout_ms, priority, shape, ord)
  ORDER BY ord
  ON CONFLICT (key) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS n FROM inserted`;

const REQUEUE = `UPDATE tasks SET ${requeueSet('$2')} WHERE key = ANY($1::text[]) AND state IN ${FINISHED_STATES}`;

/** One statement, atomic by itself: such a submit needs no transaction around it. */
export function isOneStatement(tasks: readonly unknown[], rerun: boolean): boolean {
  return tasks.length <= CHUNK && !rerun;
}

export async function submitPrepared(
  ctx: PgContext,
  tasks: PreparedTask[],
  rerun: boolean,
  settings?: ScanSettings,
): Promise<SubmitResponse> {
  const { now } = ctx;
  let created = 0;
  let requeued = 0;
  for (let start = 0; start < tasks.length; start += CHUNK) {
    const chunk = tasks.slice(start, start + CHUNK);
    const [inserted] = await rows<{ n: number }>(ctx, INSERT_TASKS, [
      chunk.map((t) => t.key),
      chunk.map((t) => t.task),
      chunk.map((t) => t.params),
      chunk.map((t) => t.paramsHash),
      chunk.map((t) => t.scan),
      chunk.map((t) => t.maxAttempts),
      chunk.map((t) => t.timeoutMs),
      now,
      [...new Set(chunk.map((t) => t.scan))],
      chunk.map((t) => t.priority),
      chunk.map((t) => t.shape),
    ]);
    created += inserted?.n ?? 0;
    if (rerun) {
      const result = await ctx.db.query(REQUEUE, [chunk.map((t) => t.key), now]);
      requeued += result.rowCount ?? 0;
    }
  }
  if (settings) {
    await ctx.db.query(
      `INSERT INTO scans (name, created_at, reduce_task, objective) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET reduce_task = coalesce(excluded.reduce_task, scans.reduce_task),
                                        objective = coalesce(excluded.objective, scans.objective)`,
      [settings.scan, now, settings.reduceTask, settings.objective],
    );
  }
  if (created + requeued > 0) await notifyWork(ctx);
  return { created, existing: tasks.length - created, requeued };
}
