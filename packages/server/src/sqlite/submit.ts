/** Submit: insert new tasks, count existing ones, requeue finished ones on `rerun`. One transaction. */
import type { SubmitRequest, SubmitResponse } from '@bottle/protocol';
import { scanSettingsOf } from '../store/scan-settings.js';
import { DEFAULT_SCAN, prepareTask } from '../store/submit.js';
import { FINISHED_STATES, requeueSet } from '../store/transitions.js';
import type { OpContext } from './_context.js';

/**
 * Canonicalises, hashes and inserts task by task, holding no copy of the batch: a bad parameter set
 * throws ERR_BAD_PARAMS (naming tasks[i].params...) and the transaction rolls back, so it changes nothing.
 */
export function submit(ctx: OpContext, request: SubmitRequest): SubmitResponse {
  const { now } = ctx;
  const rerun = request.rerun === true;
  const defaultScan = request.scan ?? DEFAULT_SCAN;
  const insertScan = ctx.stmt('INSERT INTO scans (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const insertTask = ctx.stmt(
    `INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, timeout_ms,
                        created_at, updated_at, not_before, priority, shape)
     VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO NOTHING`,
  );
  const requeue = ctx.stmt(
    `UPDATE tasks SET ${requeueSet('@now')} WHERE key = @key AND state IN ${FINISHED_STATES}`,
  );
  const insertShape = ctx.stmt('INSERT INTO task_shapes (shape) VALUES (?) ON CONFLICT DO NOTHING');
  const scans = new Set<string>();
  const shapes = new Set<string>();
  let created = 0;
  let existing = 0;
  let requeued = 0;
  request.tasks.forEach((spec, i) => {
    const task = prepareTask(spec, i, defaultScan, ctx.policy.maxAttempts, request.priority, request);
    if (task.shape !== null && !shapes.has(task.shape)) {
      shapes.add(task.shape);
      insertShape.run(task.shape);
    }
    if (!scans.has(task.scan)) {
      scans.add(task.scan);
      insertScan.run(task.scan, now);
    }
    const inserted = insertTask.run(
      task.key,
      task.task,
      task.params,
      task.paramsHash,
      task.scan,
      task.maxAttempts,
      task.timeoutMs,
      now,
      now,
      now,
      task.priority,
      task.shape,
    );
    if (inserted.changes > 0) {
      created++;
      return;
    }
    existing++;
    if (rerun && requeue.run({ now, key: task.key }).changes > 0) requeued++;
  });
  const settings = scanSettingsOf(request);
  if (settings) {
    ctx
      .stmt(
        `INSERT INTO scans (name, created_at, reduce_task, objective) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET reduce_task = coalesce(excluded.reduce_task, reduce_task),
                                          objective = coalesce(excluded.objective, objective)`,
      )
      .run(settings.scan, now, settings.reduceTask, settings.objective);
  }
  return { created, existing, requeued };
}
