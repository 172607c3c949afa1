/**
 * One warm child process that runs tasks one at a time for a slot. It turns every way a task can
 * end (result, throw, process.exit, crash, timeout, a stop asked by the worker) into one `RunEnd`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode, JsonValue } from '@bottle/protocol';
import { childEntry } from './_entry-script.js';
import type { ChildMessage, RunMessage, TaskStatusFile } from './messages.js';
import { readTail, writeStatusFile } from './task-files.js';

/** Why the worker stops a task: its timeout, or the server/operator/worker taking it back. */
export type AbortReason = 'timeout' | 'cancelled' | 'lost' | 'released';

export type DoneEnd = { kind: 'done'; result?: JsonValue; outputDir: string | undefined };
export type RunEnd =
  | DoneEnd
  | { kind: 'failed'; code: ErrorCode; message: string; retryable: boolean; outputDir: string | undefined }
  | { kind: 'aborted'; reason: Exclude<AbortReason, 'timeout'>; outputDir: string | undefined };

export interface TaskChildOptions {
  execArgv: string[];
  /** How long a task may take to honour `kill()` before SIGKILL. */
  killGraceMs: number;
  /** Output the child wrote outside any task's logs. */
  onStray(stream: 'stdout' | 'stderr', text: string): void;
}

interface Current {
  message: RunMessage;
  timeoutMs: number | undefined;
  outputDir: string | undefined;
  abortReason: AbortReason | undefined;
  timer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  resolve(end: RunEnd): void;
}

const tailBytes = 4096;

export class TaskChild {
  readonly process: ChildProcess;
  #current: Current | undefined;
  #exited = false;
  #killed = false;
  #strayStderr = '';

  constructor(private readonly options: TaskChildOptions) {
    const entry = childEntry();
    this.process = fork(entry.script, [], {
      execArgv: [...entry.execArgv, ...options.execArgv],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.process.stdout?.setEncoding('utf8').on('data', (text: string) => options.onStray('stdout', text));
    this.process.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#strayStderr = (this.#strayStderr + text).slice(-tailBytes);
      options.onStray('stderr', text);
    });
    this.process.on('message', (message: ChildMessage) => this.#onMessage(message));
    this.process.on('exit', (code, signal) => this.#onExit(code, signal));
    // An IPC error (child gone) is followed by 'exit'; keep it from becoming an uncaught error.
    this.process.on('error', () => {});
  }

  /** False once the child has exited or is being killed: the slot needs a new one. */
  get usable(): boolean {
    return !this.#exited && !this.#killed && this.process.connected && this.#current?.killTimer === undefined;
  }

  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** Runs one task; resolves however it ends (never rejects). */
  run(message: RunMessage, timeoutMs: number | undefined): Promise<RunEnd> {
    if (this.#current) throw new Error('TaskChild.run: a task is already running');
    return new Promise<RunEnd>((resolve) => {
      const current: Current = {
        message,
        timeoutMs,
        outputDir: undefined,
        abortReason: undefined,
        timer: undefined,
        killTimer: undefined,
        resolve,
      };
      this.#current = current;
      this.process.send(message, (error) => {
        if (error && this.#current === current) this.#kill();
      });
    });
  }

  /** Stops the running task: asks it (its `kill()`), then SIGKILLs the child after the grace period. */
  abort(reason: AbortReason): void {
    const current = this.#current;
    if (current === undefined || current.abortReason !== undefined) return;
    current.abortReason = reason;
    if (current.timer) clearTimeout(current.timer);
    if (this.process.connected) this.process.send({ type: 'kill', id: current.message.id }, () => {});
    current.killTimer = setTimeout(() => this.#kill(), this.options.killGraceMs);
  }

  /** Ends the child; a running task ends as failed (crashed). */
  close(): void {
    if (this.#exited) return;
    if (this.process.connected) this.process.disconnect();
    setTimeout(() => this.#kill(), 2_000).unref();
  }

  #kill(): void {
    // Marked at once: the 'exit' event comes later, and no task may be given to a dying child.
    this.#killed = true;
    if (!this.#exited) this.process.kill('SIGKILL');
  }

  #onMessage(message: ChildMessage): void {
    const current = this.#current;
    if (current === undefined || message.id !== current.message.id) return;
    if (message.type === 'started') {
      current.outputDir = message.outputDir;
      // The timeout counts the task's run, not the child's start-up and module loading.
      if (current.timeoutMs !== undefined && current.abortReason === undefined) {
        current.timer = setTimeout(() => this.abort('timeout'), current.timeoutMs);
      }
      return;
    }
    // The child exits after an uncaught error: give it no further task meanwhile.
    if (!message.ok && message.exiting) this.#killed = true;
    let end: RunEnd;
    if (current.abortReason !== undefined) end = this.#abortedEnd(current);
    else if (message.ok) end = { kind: 'done', result: message.result, outputDir: current.outputDir };
    else {
      end = {
        kind: 'failed',
        code: message.code,
        message: withTail(message.message, current.outputDir, ''),
        retryable: message.retryable,
        outputDir: current.outputDir,
      };
    }
    this.#settle(current, end, undefined);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exited = true;
    const current = this.#current;
    if (current === undefined) return;
    let end: RunEnd;
    if (current.abortReason !== undefined) end = this.#abortedEnd(current);
    else {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      end = {
        kind: 'failed',
        code: signal ? 'ERR_TASK_CRASHED' : 'ERR_TASK_FAILED',
        message: withTail(
          `the task's process ${how} before run() returned (process.exit, a crash or out of memory)`,
          current.outputDir,
          this.#strayStderr,
        ),
        retryable: true,
        outputDir: current.outputDir,
      };
    }
    this.#settle(current, end, { code, signal });
  }

  #abortedEnd(current: Current): RunEnd {
    if (current.abortReason === 'timeout') {
      return {
        kind: 'failed',
        code: 'ERR_TASK_TIMEOUT',
        message: `the task ran past its timeout and was stopped; raise the task's timeoutMs or the worker's --timeout`,
        retryable: true,
        outputDir: current.outputDir,
      };
    }
    return { kind: 'aborted', reason: current.abortReason ?? 'released', outputDir: current.outputDir };
  }

  #settle(
    current: Current,
    end: RunEnd,
    exit: { code: number | null; signal: string | null } | undefined,
  ): void {
    // The child could not write the final status.json (it died), or wrote one that the abort overrides.
    if (current.outputDir !== undefined && (exit !== undefined || current.abortReason !== undefined)) {
      finalStatus(current, end, exit?.code ?? null, exit?.signal ?? null);
    }
    if (current.timer) clearTimeout(current.timer);
    if (current.killTimer) clearTimeout(current.killTimer);
    // A task that ignored kill() but ended anyway leaves a child we cannot trust to be idle: replace it.
    if (current.abortReason !== undefined && end.kind !== 'done' && !this.#exited) this.#kill();
    this.#current = undefined;
    current.resolve(end);
  }
}

function withTail(message: string, outputDir: string | undefined, stray: string): string {
  const tail = (outputDir ? readTail(join(outputDir, 'stderr.log'), tailBytes) : '') + stray;
  return tail.trim() === ''
    ? message
    : `${message}\n--- stderr (tail) ---\n${tail.slice(-tailBytes).trimEnd()}`;
}

/** The worker's word on how the task ended, keeping what the child wrote at the start. */
function finalStatus(current: Current, end: RunEnd, code: number | null, signal: string | null): void {
  const dir = current.outputDir as string;
  try {
    const m = current.message;
    let previous: Partial<TaskStatusFile> = {};
    try {
      previous = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Partial<TaskStatusFile>;
    } catch {}
    const status: TaskStatusFile = {
      state:
        end.kind === 'failed'
          ? 'failed'
          : end.kind === 'aborted'
            ? end.reason === 'cancelled'
              ? 'cancelled'
              : 'released'
            : 'done',
      task: m.task,
      key: m.key,
      paramsHash: m.paramsHash,
      attempt: m.attempt,
      host: m.host,
      workerId: m.workerId,
      pid: previous.pid ?? 0,
      startedAt: previous.startedAt ?? new Date().toISOString(),
      endedAt: new Date().toISOString(),
      exitCode: code,
      signal,
      error: end.kind === 'failed' ? end.message : null,
    };
    writeStatusFile(dir, status);
  } catch {
    // The directory may be gone; the report to the server carries the same error.
  }
}
