/** Submitted task specs as every store keeps them: canonical params, their hash and the task key. */
import { hash } from 'node:crypto';
import { canonicalJson, needsShape, type SubmitRequest } from '@bottle/protocol';

export const DEFAULT_SCAN = 'default';

// The one-shot hash: a third of the cost of createHash().update().digest() for short texts.
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** One task spec as stored (no copy of the batch is kept). */
export interface PreparedTask {
  key: string;
  task: string;
  params: string;
  paramsHash: string;
  scan: string;
  maxAttempts: number;
  timeoutMs: number | null;
  priority: number;
  /** The canonical text of its needs (store/fit.ts), null when it asks nothing. */
  shape: string | null;
}

/** Throws ERR_BAD_PARAMS naming tasks[i].params... for values without a stable JSON form. */
export function prepareTask(
  spec: SubmitRequest['tasks'][number],
  i: number,
  defaultScan: string,
  defaultMaxAttempts: number,
  defaultPriority = 0,
  defaults: Pick<SubmitRequest, 'resources' | 'needs'> = {},
): PreparedTask {
  const params = canonicalJson(spec.params, `tasks[${i}].params`);
  return {
    // Canonicalising once and hashing twice is what taskKey and hashParams do, at a third of the
    // cost: a 1M sweep spends much of its submit time here. Tests check the equality.
    key: sha256(`{"params":${params},"task":${JSON.stringify(spec.task)}}`),
    task: spec.task,
    params,
    paramsHash: sha256(params),
    scan: spec.scan ?? defaultScan,
    maxAttempts: spec.maxAttempts ?? defaultMaxAttempts,
    timeoutMs: spec.timeoutMs ?? null,
    priority: spec.priority ?? defaultPriority,
    shape: needsShape(spec.resources ?? defaults.resources, spec.needs ?? defaults.needs),
  };
}

/** Every task of a request prepared up front (a store over the network sends them in chunks). */
export function prepareSubmit(request: SubmitRequest, defaultMaxAttempts: number): PreparedTask[] {
  const defaultScan = request.scan ?? DEFAULT_SCAN;
  return request.tasks.map((spec, i) =>
    prepareTask(spec, i, defaultScan, defaultMaxAttempts, request.priority ?? 0, request),
  );
}
