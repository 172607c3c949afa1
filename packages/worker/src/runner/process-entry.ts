/**
 * The entry of a task child process (built to dist/process-entry.js). It runs one task at a time, as the
 * worker asks over IPC, and stays warm between tasks. The task's console output goes to its own
 * stdout.log and stderr.log; anything else (a native crash, a stray write between tasks) reaches
 * the worker through the child's own stdout and stderr pipes.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isBottleError, type JsonValue } from '@bottle/protocol';
import { prepareTask } from '../task/_task-form.js';
import { loadTaskModule } from '../task/load-module.js';
import { setTaskContext } from '../task/task-base.js';
import type { ChildMessage, EndFailed, ParentMessage, RunMessage, TaskStatusFile } from './messages.js';
import { writeResultFile, writeStatusFile } from './task-files.js';

interface Active {
  message: RunMessage;
  outputDir: string;
  /** Log file descriptors. */
  stdoutFd: number | undefined;
  stderrFd: number | undefined;
  status: TaskStatusFile;
  kill: () => void;
}

let active: Active | undefined;
/** Exports already loaded, by file#export: the module cache would give the same, a few turns later. */
const loadedExports = new Map<string, unknown>();
const send = (message: ChildMessage, then?: () => void) => process.send?.(message, undefined, {}, then);

// Route console output of the running task to its log files.
const originalWrite = {
  stdout: process.stdout.write.bind(process.stdout),
  stderr: process.stderr.write.bind(process.stderr),
};
for (const stream of ['stdout', 'stderr'] as const) {
  (process[stream] as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (active === undefined)
      return (originalWrite[stream] as (...args: unknown[]) => boolean)(chunk, ...rest);
    const fd = logFd(active, stream);
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk as Uint8Array);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'run') void runTask(message);
  else if (message.type === 'kill' && active?.message.id === message.id) {
    try {
      active.kill();
    } catch (error) {
      process.stderr.write(`kill() threw: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
  }
});
// The worker is gone (killed, crashed): a task child never outlives it.
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => failUncaught(error));
process.on('unhandledRejection', (reason) => failUncaught(reason));

function logFd(task: Active, stream: 'stdout' | 'stderr'): number {
  if (stream === 'stdout') {
    task.stdoutFd ??= openSync(join(task.outputDir, 'stdout.log'), 'a');
    return task.stdoutFd;
  }
  task.stderrFd ??= openSync(join(task.outputDir, 'stderr.log'), 'a');
  return task.stderrFd;
}

async function runTask(message: RunMessage): Promise<void> {
  const abort = new AbortController();
  const context = {
    root: message.root,
    task: message.task,
    key: message.key,
    paramsHash: message.paramsHash,
    attempt: message.attempt,
    outputDir: '',
    signal: abort.signal,
  };
  let prepared: ReturnType<typeof prepareTask>;
  try {
    const cacheKey = `${message.file}#${message.exportName}`;
    if (!loadedExports.has(cacheKey)) {
      const { value } = await loadTaskModule(
        {
          spec: message.task,
          module: message.task,
          exportName: message.exportName,
          file: message.file,
          root: message.root,
        },
        message.root,
      );
      loadedExports.set(cacheKey, value);
    }
    const value = loadedExports.get(cacheKey);
    setTaskContext(context);
    prepared = prepareTask(value, message.params, context, abort);
    context.outputDir = join(prepared.outRoot, message.paramsHash);
    mkdirSync(context.outputDir, { recursive: true });
  } catch (error) {
    setTaskContext(undefined);
    send(failure(message.id, error, !isBottleError(error)));
    return;
  }
  const outputDir = context.outputDir;
  const status: TaskStatusFile = {
    state: 'running',
    task: message.task,
    key: message.key,
    paramsHash: message.paramsHash,
    attempt: message.attempt,
    host: message.host,
    workerId: message.workerId,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    endedAt: null,
    exitCode: null,
    signal: null,
    error: null,
  };
  // status.json is written once, at the end (by the worker if this process dies): file creations
  // are most of the per-task cost of short tasks. A directory without status.json never finished.
  writeFileSync(join(outputDir, 'params.json'), `${JSON.stringify(message.params, null, 2)}\n`);
  active = {
    message,
    outputDir,
    stdoutFd: undefined,
    stderrFd: undefined,
    status,
    kill: prepared.kill,
  };
  // Both logs exist for every task, empty or not, so that readers can rely on them.
  logFd(active, 'stdout');
  logFd(active, 'stderr');
  send({ type: 'started', id: message.id, outputDir });
  let end: ChildMessage;
  try {
    const value = await prepared.run();
    const result = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonValue);
    // A folder of outputs carries its results (bottle results --from, gathered outputs); a task's own
    // result.json wins.
    if (result !== undefined) writeResultFile(outputDir, result);
    end =
      result === undefined
        ? { type: 'end', id: message.id, ok: true }
        : { type: 'end', id: message.id, ok: true, result };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    end = failure(message.id, error, true);
  }
  finish(end);
}

/** Writes the final status.json, closes the logs and tells the worker. */
function finish(end: ChildMessage, then?: () => void): void {
  const current = active;
  active = undefined;
  setTaskContext(undefined);
  if (current !== undefined) {
    if (current.stdoutFd !== undefined) closeSync(current.stdoutFd);
    if (current.stderrFd !== undefined) closeSync(current.stderrFd);
    writeStatusFile(current.outputDir, {
      ...current.status,
      state: end.type === 'end' && end.ok ? 'done' : 'failed',
      endedAt: new Date().toISOString(),
      exitCode: end.type === 'end' && end.ok ? 0 : null,
      error: end.type === 'end' && !end.ok ? end.message : null,
    });
  }
  send(end, then);
}

function failure(id: number, error: unknown, retryable: boolean): EndFailed {
  if (isBottleError(error))
    return { type: 'end', id, ok: false, code: error.code, message: error.message, retryable };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `threw ${String(error)}`;
  return { type: 'end', id, ok: false, code: 'ERR_TASK_FAILED', message, retryable };
}

function failUncaught(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (active === undefined) {
    originalWrite.stderr(`uncaught error outside a task: ${text}\n`);
    process.exit(70);
  }
  process.stderr.write(`uncaught: ${text}\n`);
  const end = { ...failure(active.message.id, error, true), exiting: true };
  finish(end, () => process.exit(70));
}
