/**
 * Messages between the worker and the process or thread that runs its tasks (a "host"). Both ways
 * they travel in batches: one message carries every job dispatched (or every event raised) in one
 * turn of the event loop. They are built by trusted code on both sides, so nothing here is
 * validated again: the server's answer was checked once, in the client.
 */
import type { AnyErrorCode, JsonValue, Params } from '@bottle/protocol';

/** One task to run, with its module spec already resolved (and checked to lie inside the root). */
export interface JobMessage {
  id: number;
  /** The task name as submitted (`path/to/module.exportName`). */
  task: string;
  /** The module part of the name, normalized (e.g. `examples/dummy`): load errors name it. */
  module: string;
  exportName: string;
  /** Absolute real path of the module file. */
  file: string;
  root: string;
  key: string;
  params: Params;
  paramsHash: string;
  attempt: number;
  /** Named in the line that separates this attempt's logs from an earlier one's. */
  workerId: string;
}

/** Worker → host. */
export type ToHost = { type: 'run'; jobs: JobMessage[] } | { type: 'kill'; ids: number[] };

/** The task made its output directory (it asked for it, or printed its first byte). */
export interface DirEvent {
  t: 'dir';
  id: number;
  dir: string;
}

/** How a task ended in its host. */
export interface EndEvent {
  t: 'end';
  id: number;
  ok: boolean;
  result?: JsonValue;
  code?: AnyErrorCode;
  message?: string;
  /** False for errors that another attempt cannot fix (a missing module or export). */
  retryable?: boolean;
  /** The task's output directory, when it exists (made through the context or by the task itself). */
  dir?: string;
  /** Wall clock (ms) when run() was called and when it settled. */
  startedAt: number;
  endedAt: number;
  /** The host is in an unknown state (an uncaught error) and exits after this batch. */
  exiting?: boolean;
}

export type HostEvent = DirEvent | EndEvent;

/** Host → worker. */
export interface FromHost {
  type: 'events';
  events: HostEvent[];
}

/** The content of `<outputDir>/status.json`, written once per task by the worker. */
export interface TaskStatusFile {
  state: 'done' | 'failed' | 'cancelled' | 'released';
  task: string;
  key: string;
  paramsHash: string;
  attempt: number;
  host: string;
  workerId: string;
  /** The process the task ran in (the worker's own with isolation `thread` or `none`). */
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  endedAt: string;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}
