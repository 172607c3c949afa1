/**
 * Runs tasks inside a host (a task process, a worker thread, or the worker itself with isolation
 * `none`). Many tasks may run at once; each has its own context, found through AsyncLocalStorage.
 * Nothing is made on disk that a task does not use: its output directory and params.json when it
 * first asks for `outputDir` (or prints), each log file on its first byte. status.json and
 * result.json are the worker's (see job-book.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '@bottle/protocol';
import { prepareTask } from '../task/_task-form.js';
import { loadTaskModule } from '../task/load-module.js';
import type { TaskContext } from '../task/task-base.js';
import { captureConsole, type LogSink } from './_console-capture.js';
import { openTaskLog } from './_task-log.js';
import type { EndEvent, HostEvent, JobMessage } from './messages.js';

class Running implements LogSink {
  outRoot = '';
  dir: string | undefined;
  stdoutFd: number | undefined;
  stderrFd: number | undefined;
  kill: () => void = () => {};
  readonly abort = new AbortController();
  readonly context: TaskContext;
  readonly startedAt = Date.now();

  constructor(
    readonly job: JobMessage,
    private readonly post: (event: HostEvent) => void,
  ) {
    const self = this;
    this.context = {
      root: job.root,
      task: job.task,
      key: job.key,
      paramsHash: job.paramsHash,
      attempt: job.attempt,
      signal: this.abort.signal,
      // Asking for the directory is what makes it: a task that never asks leaves nothing on disk.
      get outputDir() {
        return self.ensureDir();
      },
    };
  }

  /** Makes `<outRoot>/<paramsHash>/` and its params.json, once; '' while the output root is unknown. */
  ensureDir(): string {
    if (this.dir !== undefined) return this.dir;
    if (this.outRoot === '') return '';
    const dir = join(this.outRoot, this.job.paramsHash);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'params.json'), `${JSON.stringify(this.job.params, null, 2)}\n`);
    this.dir = dir;
    this.post({ t: 'dir', id: this.job.id, dir });
    return dir;
  }

  writeLog(stream: 'stdout' | 'stderr', chunk: string | Uint8Array): void {
    const dir = this.ensureDir();
    if (dir === '') return;
    let fd = stream === 'stdout' ? this.stdoutFd : this.stderrFd;
    if (fd === undefined) {
      fd = openTaskLog(join(dir, `${stream}.log`), this.job.attempt, this.job.workerId);
      if (stream === 'stdout') this.stdoutFd = fd;
      else this.stderrFd = fd;
    }
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk);
  }

  closeLogs(): void {
    if (this.stdoutFd !== undefined) closeSync(this.stdoutFd);
    if (this.stderrFd !== undefined) closeSync(this.stderrFd);
    this.stdoutFd = this.stderrFd = undefined;
  }
}

const storage = new AsyncLocalStorage<Running>();
const contextKey = Symbol.for('bottle.taskContext');

/** Runs jobs as they come and posts their events; one per host. */
export class TaskExecutor {
  readonly #loaded = new Map<string, { value: unknown } | Promise<unknown>>();
  readonly #running = new Map<number, Running>();
  readonly #post: (event: HostEvent) => void;
  readonly #uncapture: () => void;

  constructor(post: (event: HostEvent) => void) {
    this.#post = post;
    this.#uncapture = captureConsole(storage);
    // TaskBase and currentTaskContext() read the context here, in whichever copy of the package a
    // task module imported: the getter answers for the task whose code is asking.
    Object.defineProperty(globalThis, contextKey, {
      get: () => storage.getStore()?.context,
      configurable: true,
    });
  }

  get size(): number {
    return this.#running.size;
  }

  /** Starts a job. With its module already loaded, run() is called before this returns. */
  run(job: JobMessage): void {
    const cacheKey = `${job.file}#${job.exportName}`;
    const loaded = this.#loaded.get(cacheKey);
    if (loaded !== undefined && !(loaded instanceof Promise)) {
      this.#start(job, loaded.value);
      return;
    }
    let loading = loaded;
    if (loading === undefined) {
      loading = loadTaskModule(
        { spec: job.task, module: job.module, exportName: job.exportName, file: job.file, root: job.root },
        job.root,
      ).then(({ value }) => {
        this.#loaded.set(cacheKey, { value });
        return value;
      });
      this.#loaded.set(cacheKey, loading);
      // A module that failed to load is tried again by the next task (it may have been fixed).
      loading.catch(() => this.#loaded.delete(cacheKey));
    }
    const now = Date.now();
    loading.then(
      (value) => this.#start(job, value),
      (error) => this.#post(failure(job.id, error, false, now)),
    );
  }

  /** Asks a running task to stop: its kill(), and its context signal aborted. */
  kill(id: number): void {
    const running = this.#running.get(id);
    if (running === undefined) return;
    // In the task's own context, so that what kill() prints goes to the task's log.
    storage.run(running, () => {
      try {
        running.kill();
      } catch (error) {
        process.stderr.write(`kill() threw: ${stackOf(error)}\n`);
      }
    });
  }

  /** An uncaught error: this host cannot be trusted any more; every running task ends with it. */
  failAll(error: unknown): void {
    for (const running of [...this.#running.values()]) {
      running.writeLog('stderr', `uncaught: ${stackOf(error)}\n`);
      this.#end(running, { ...failure(running.job.id, error, true, running.startedAt), exiting: true });
    }
  }

  close(): void {
    this.#uncapture();
    delete (globalThis as Record<symbol, unknown>)[contextKey];
  }

  #start(job: JobMessage, value: unknown): void {
    const running = new Running(job, this.#post);
    this.#running.set(job.id, running);
    storage.run(running, () => {
      let promise: Promise<unknown>;
      try {
        const prepared = prepareTask(value, job.params, running.context, running.abort);
        running.outRoot = prepared.outRoot;
        running.kill = prepared.kill;
        promise = prepared.run();
      } catch (error) {
        this.#end(running, failure(job.id, error, !isBottleErrorLike(error), running.startedAt));
        return;
      }
      promise.then(
        (value) => this.#done(running, value),
        (error) => {
          // The stack goes to the task's stderr.log where the task has a directory already (the
          // worker adds the log's tail to the error), else into the error itself.
          const end = failure(job.id, error, true, running.startedAt);
          if (running.dir !== undefined) running.writeLog('stderr', `${stackOf(error)}\n`);
          else if (error instanceof Error && error.stack) end.message = error.stack;
          this.#end(running, end);
        },
      );
    });
  }

  #done(running: Running, value: unknown): void {
    let result: JsonValue | undefined;
    try {
      result = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonValue);
    } catch (error) {
      this.#end(running, failure(running.job.id, error, true, running.startedAt));
      return;
    }
    const end: EndEvent = {
      t: 'end',
      id: running.job.id,
      ok: true,
      startedAt: running.startedAt,
      endedAt: 0,
    };
    if (result !== undefined) end.result = result;
    this.#end(running, end);
  }

  #end(running: Running, end: EndEvent): void {
    if (!this.#running.delete(running.job.id)) return;
    running.closeLogs();
    end.endedAt = Date.now();
    // A task that made its directory itself (without asking) still gets its status.json.
    if (running.dir === undefined && running.outRoot !== '') {
      const dir = join(running.outRoot, running.job.paramsHash);
      if (existsSync(dir)) running.dir = dir;
    }
    if (running.dir !== undefined) end.dir = running.dir;
    this.#post(end);
  }
}

/** isBottleError without loading the protocol's schemas: a name and an ERR_ code. */
function isBottleErrorLike(error: unknown): error is { code: EndEvent['code']; message: string } {
  return (
    error instanceof Error &&
    error.name === 'BottleError' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function failure(id: number, error: unknown, retryable: boolean, startedAt: number): EndEvent {
  const base = { t: 'end' as const, id, ok: false, retryable, startedAt, endedAt: Date.now() };
  if (isBottleErrorLike(error)) return { ...base, code: error.code, message: error.message };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `threw ${String(error)}`;
  return { ...base, code: 'ERR_TASK_FAILED', message };
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
