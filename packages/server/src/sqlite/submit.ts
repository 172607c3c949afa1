/** Submit: insert new tasks, count existing ones, requeue finished ones on `rerun`. One transaction. */
import { hash } from 'node:crypto';
import { canonicalJson, type SubmitRequest, type SubmitResponse } from '@bottle/protocol';
import type { OpContext } from './_context.js';

export const DEFAULT_SCAN = 'default';

/** States a rerun may leave: everything that is not waiting or running. */
export const FINISHED_STATES = "('done', 'failed', 'cancelled', 'delivered')";

interface PreparedTask {
  key: string;
  task: string;
  params: string;
  paramsHash: string;
  scan: string;
  maxAttempts: number;
  timeoutMs: number | null;
}

// The one-shot hash: a third of the cost of createHash().update().digest() for short texts.
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** Hashes outside the transaction, so that a bad parameter set changes nothing. */
export function prepareSubmit(request: SubmitRequest, defaultMaxAttempts: number): PreparedTask[] {
  const defaultScan = request.scan ?? DEFAULT_SCAN;
  return request.tasks.map((spec, i) => {
    // Throws ERR_BAD_PARAMS naming tasks[i].params... for values without a stable JSON form.
    const params = canonicalJson(spec.params, `tasks[${i}].params`);
    return {
      // Canonicalising once and hashing twice is what taskKey and hashParams do, at a third of the
      // cost: a 1M sweep spends most of its submit time here. Tests check the equality.
      key: sha256(`{"params":${params},"task":${JSON.stringify(spec.task)}}`),
      task: spec.task,
      params,
      paramsHash: sha256(params),
      scan: spec.scan ?? defaultScan,
      maxAttempts: spec.maxAttempts ?? defaultMaxAttempts,
      timeoutMs: spec.timeoutMs ?? null,
    };
  });
}

export function submitPrepared(ctx: OpContext, tasks: PreparedTask[], rerun: boolean): SubmitResponse {
  const { now } = ctx;
  const insertScan = ctx.stmt('INSERT INTO scans (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const insertTask = ctx.stmt(
    `INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, timeout_ms,
                        created_at, updated_at, not_before)
     VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO NOTHING`,
  );
  const requeue = ctx.stmt(
    `UPDATE tasks SET state = 'queued', charged = 0, not_before = ?, updated_at = ?, worker_id = NULL,
       host = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL, finished_at = NULL,
       result = NULL, error = NULL
     WHERE key = ? AND state IN ${FINISHED_STATES}`,
  );
  const scans = new Set<string>();
  let created = 0;
  let existing = 0;
  let requeued = 0;
  for (const t of tasks) {
    if (!scans.has(t.scan)) {
      scans.add(t.scan);
      insertScan.run(t.scan, now);
    }
    const inserted = insertTask.run(
      t.key,
      t.task,
      t.params,
      t.paramsHash,
      t.scan,
      t.maxAttempts,
      t.timeoutMs,
      now,
      now,
      now,
    );
    if (inserted.changes > 0) {
      created++;
      continue;
    }
    existing++;
    if (rerun && requeue.run(now, now, t.key).changes > 0) requeued++;
  }
  return { created, existing, requeued };
}
