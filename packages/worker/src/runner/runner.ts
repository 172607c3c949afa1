/**
 * The seam between the pool and whatever runs a task. The pool hands a runner one job at a time
 * (`run`), may ask it to stop one (`abort`), and gets back exactly one `RunEnd` per job, however the
 * task ended. Module tasks run in warm processes, threads or inline (isolation); other kinds of task
 * (command tasks) plug in a runner of their own, chosen by task name.
 */
import type { AnyErrorCode, JsonValue, Params } from '@bottle/protocol';

/** Why the worker stops a task: its timeout, or the server/operator/worker taking it back. */
export type AbortReason = 'timeout' | 'cancelled' | 'lost' | 'released';

/** Where a task runs: a warm child process (default), a worker thread, or the worker's own event loop. */
export type Isolation = 'process' | 'thread' | 'none';
export const isolations = ['process', 'thread', 'none'] as const satisfies readonly Isolation[];

/** One task for a runner. */
export interface RunJob {
  /** Unique within the worker; `abort(id)` names it. */
  id: number;
  /** The task name as claimed (`path/to/module.exportName`). */
  task: string;
  key: string;
  params: Params;
  paramsHash: string;
  attempt: number;
  /** Run time after which the task is stopped (and fails with ERR_TASK_TIMEOUT). */
  timeoutMs: number | undefined;
}

/** When `run()` (or the command) really started and ended, epoch ms: a job may wait for its module first. */
export interface RunTimes {
  startedAt?: number;
  endedAt?: number;
}

export type DoneEnd = { kind: 'done'; result?: JsonValue; outputDir: string | undefined } & RunTimes;
export type RunEnd =
  | DoneEnd
  | ({
      kind: 'failed';
      code: AnyErrorCode;
      message: string;
      retryable: boolean;
      outputDir: string | undefined;
    } & RunTimes)
  | { kind: 'aborted'; reason: Exclude<AbortReason, 'timeout'>; outputDir: string | undefined };

export interface TaskRunner {
  /** Runs one job; resolves however it ends (never rejects). */
  run(job: RunJob): Promise<RunEnd>;
  /** Stops a running job: asks it first (its `kill()`), then ends it by force after a grace period. */
  abort(id: number, reason: AbortReason): void;
  /** Ends the runner's processes or threads; jobs still running end as failed or aborted. */
  close(): Promise<void>;
}
