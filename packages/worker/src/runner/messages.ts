/** Messages between the worker (parent) and a task child process, over the IPC channel. */
import type { ErrorCode, JsonValue, Params } from '@bottle/protocol';

/** Parent → child: run one task. */
export interface RunMessage {
  type: 'run';
  id: number;
  /** The task name as submitted (`path/to/module.exportName`). */
  task: string;
  /** Absolute real path of the module file, already checked to lie inside `root`. */
  file: string;
  exportName: string;
  root: string;
  key: string;
  params: Params;
  paramsHash: string;
  attempt: number;
  host: string;
  workerId: string;
}

/** Parent → child: ask the running task to stop (its `kill()`); SIGKILL follows after a grace period. */
export interface KillMessage {
  type: 'kill';
  id: number;
}

export type ParentMessage = RunMessage | KillMessage;

/** Child → parent: the output directory exists and holds params.json and status.json. */
export interface StartedMessage {
  type: 'started';
  id: number;
  outputDir: string;
}

export interface EndOk {
  type: 'end';
  id: number;
  ok: true;
  result?: JsonValue;
}

export interface EndFailed {
  type: 'end';
  id: number;
  ok: false;
  code: ErrorCode;
  message: string;
  /** False for errors that another attempt cannot fix (a missing module or export). */
  retryable: boolean;
  /** The child is in an unknown state (uncaught exception) and exits after this message. */
  exiting?: boolean;
}

export type ChildMessage = StartedMessage | EndOk | EndFailed;

/** The content of `<outputDir>/status.json`. */
export interface TaskStatusFile {
  state: 'running' | 'done' | 'failed' | 'cancelled' | 'released';
  task: string;
  key: string;
  paramsHash: string;
  attempt: number;
  host: string;
  workerId: string;
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}
