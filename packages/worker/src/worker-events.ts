/** The summary and the typed events of a `Worker`. */
import type { BottleError, ClaimedTask, JsonValue } from '@bottle/protocol';
import type { AbortReason } from './runner/runner.js';

/** What {@link Worker.run} resolves with. */
export interface WorkerSummary {
  workerId: string;
  /** Tasks that ran to completion here. */
  done: number;
  /** Failed attempts here (threw, exited, crashed, timed out, module not found); a retried task counts each. */
  failed: number;
  /** Tasks whose last attempt here failed and that the server will not queue again. */
  failedForGood: number;
  /** Tasks given back to the queue (forced stop, or leased but not started when stopping). */
  released: number;
  /** Tasks stopped because the server cancelled them or handed their lease to another worker. */
  cancelled: number;
  lost: number;
  /** Reports the server refused or that could not be sent (see the `warn` events). */
  unreported: number;
  /** Task names this worker has no module or definition for: their tasks were released, not failed. */
  cannotRun: string[];
  durationMs: number;
}

/** Details of a finished task. */
export interface TaskEndInfo {
  /** `<outDir>/<paramsHash>`, when the task got that far. */
  outputDir: string | undefined;
  durationMs: number;
  /** On a failure: true when the server will not queue the task again (no retryable attempt left). */
  final?: boolean;
}

/**
 * The events of a {@link Worker}, with their arguments. Names are `noun.verb`, as the server's
 * events are (`task.failed` there is the same failure, as the server records it).
 */
export interface WorkerEvents {
  /** A claim brought these tasks (one event per claim answer). */
  'tasks.claimed': [tasks: ClaimedTask[]];
  'task.started': [task: ClaimedTask];
  'task.done': [task: ClaimedTask, result: JsonValue | undefined, info: TaskEndInfo];
  'task.failed': [task: ClaimedTask, error: BottleError, info: TaskEndInfo];
  /** A running task was stopped: `released` (forced stop), `cancelled` or `lost` (server's word). */
  'task.stopped': [task: ClaimedTask, reason: Exclude<AbortReason, 'timeout'>];
  /** Something went wrong that the worker works around (server unreachable, a refused report). */
  'worker.warning': [error: Error];
}
