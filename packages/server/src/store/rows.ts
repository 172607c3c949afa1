/** Rows as both stores read them (the same columns in both schemas), and their wire forms. */
import type {
  AttemptInfo,
  AttemptOutcome,
  ClaimedTask,
  JsonValue,
  LegacyTask,
  TaskInfo,
  TaskState,
  WorkerInfo,
} from '@bottle/protocol';
import { needsOf } from './fit.js';
import { badCursor } from './messages.js';

export interface TaskRow {
  seq: number;
  key: string;
  task: string;
  params: string;
  params_hash: string;
  scan: string;
  state: TaskState;
  attempt_count: number;
  charged: number;
  max_attempts: number;
  timeout_ms: number | null;
  created_at: number;
  updated_at: number;
  not_before: number;
  worker_id: string | null;
  host: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  error: string | null;
  priority: number;
  /** The canonical text of its needs (store/fit.ts); null when it asks nothing. */
  shape: string | null;
}

export interface AttemptRow {
  attempt: number;
  worker_id: string;
  host: string;
  outcome: AttemptOutcome;
  started_at: number;
  ended_at: number | null;
  error: string | null;
}

export function toTaskInfo(row: TaskRow): TaskInfo {
  return {
    key: row.key,
    task: row.task,
    params: JSON.parse(row.params) as TaskInfo['params'],
    paramsHash: row.params_hash,
    scan: row.scan,
    state: row.state,
    attempts: row.attempt_count,
    chargedAttempts: row.charged,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    notBefore: row.state === 'queued' && row.not_before > 0 ? row.not_before : null,
    workerId: row.worker_id,
    host: row.host,
    leaseExpiresAt: row.state === 'running' ? row.lease_expires_at : null,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result === null ? null : (JSON.parse(row.result) as JsonValue),
    error: row.error,
    priority: row.priority,
    ...needsInfo(row.shape),
  };
}

/** A shape as the wire's `resources` and `needs`, each only when not empty. */
function needsInfo(shape: string | null | undefined): Pick<TaskInfo, 'resources' | 'needs'> {
  if (shape === null || shape === undefined) return {};
  const { resources, needs } = needsOf(shape);
  return {
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(needs.length > 0 ? { needs } : {}),
  };
}

export function toAttemptInfo(row: AttemptRow): AttemptInfo {
  return {
    attempt: row.attempt,
    workerId: row.worker_id,
    host: row.host,
    outcome: row.outcome,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
  };
}

/**
 * The original worker imports `class_path` and calls it with `params`; our task name
 * (`path/to/module.exportName`) plays that part.
 */
export function toLegacyTask(row: Pick<TaskRow, 'task' | 'params'>): LegacyTask {
  return { params: JSON.parse(row.params) as LegacyTask['params'], class_path: row.task };
}

/**
 * A leased row as a claim answers it; `timeoutMs` only when the task has one. `charged` counts the
 * lease being granted.
 */
export function toClaimedTask(
  row: Pick<TaskRow, 'key' | 'task' | 'params' | 'params_hash' | 'scan' | 'timeout_ms'> &
    Partial<Pick<TaskRow, 'max_attempts' | 'charged' | 'shape'>>,
  lease: { attempt: number; leaseToken: string; leaseExpiresAt: number },
): ClaimedTask {
  const claimed: ClaimedTask = {
    key: row.key,
    task: row.task,
    params: JSON.parse(row.params) as ClaimedTask['params'],
    paramsHash: row.params_hash,
    scan: row.scan,
    ...lease,
  };
  if (row.max_attempts !== undefined && row.charged !== undefined)
    claimed.attemptsLeft = Math.max(Number(row.max_attempts) - Number(row.charged), 0);
  if (row.timeout_ms !== null) claimed.timeoutMs = row.timeout_ms;
  // The worker counts what its tasks hold against what it has: it needs each task's resources.
  if (row.shape) {
    const { resources } = needsOf(row.shape);
    if (Object.keys(resources).length > 0) claimed.resources = resources;
  }
  return claimed;
}

export interface WorkerRow {
  worker_id: string;
  host: string;
  first_seen: number;
  last_seen: number;
  running: number;
  /** JSON of what it declared it has, null if nothing. */
  resources: string | null;
  labels: string | null;
}

export function toWorkerInfo(row: WorkerRow): WorkerInfo {
  return {
    workerId: row.worker_id,
    host: row.host,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    running: row.running,
    ...(row.resources ? { resources: JSON.parse(row.resources) as WorkerInfo['resources'] } : {}),
    ...(row.labels ? { labels: JSON.parse(row.labels) as string[] } : {}),
  };
}

/** A page cursor is the last task's seq, as the previous page gave it. */
export function cursorSeq(cursor: string): number {
  if (!/^\d{1,16}$/.test(cursor)) throw badCursor();
  return Number(cursor);
}
