/**
 * The worker's account of the jobs it gave a runner: their timeouts, the stops it asked for, and the
 * one `RunEnd` each job resolves with, whether its host answered or died. It is also the one writer
 * of status.json and result.json (see task-files.ts).
 */
import { join } from 'node:path';
import { BottleError, isBottleError } from '@bottle/protocol';
import { type ResolvedModuleSpec, resolveModuleSpec } from '../task/module-spec.js';
import { readTail } from './_task-log.js';
import type { EndEvent, HostEvent, JobMessage, TaskStatusFile } from './messages.js';
import type { AbortReason, RunEnd, RunJob } from './runner.js';
import { writeResultFile, writeStatusFile } from './task-files.js';

export interface JobBookOptions {
  root: string;
  host: string;
  workerId: string;
  /** How long a task may take to honour `kill()` before it is ended by force. */
  stopGraceMs: number;
}

export interface Tracked<H> {
  job: RunJob;
  host: H;
  pid: number;
  dir: string | undefined;
  abortReason: AbortReason | undefined;
  timer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  dispatchedAt: number;
  resolve(end: RunEnd): void;
}

const tailBytes = 4096;

export class JobBook<H> {
  readonly #jobs = new Map<number, Tracked<H>>();
  readonly #modules = new Map<string, ResolvedModuleSpec>();

  /**
   * `stops.ask` sends a job's stop to its host (its `kill()`); `stops.force` ends a job whose task
   * did not honour it in time (kills its host).
   */
  constructor(
    private readonly options: JobBookOptions,
    private readonly stops: { ask(tracked: Tracked<H>): void; force(tracked: Tracked<H>): void },
  ) {}

  /** The message for a host, or a failed end when the module spec does not resolve. */
  message(job: RunJob): JobMessage | RunEnd {
    let resolved = this.#modules.get(job.task);
    try {
      if (resolved === undefined) {
        resolved = resolveModuleSpec(job.task, this.options.root);
        this.#modules.set(job.task, resolved);
      }
    } catch (error) {
      const { code, message } = isBottleError(error)
        ? error
        : new BottleError('ERR_BAD_TASK_MODULE', String(error));
      return { kind: 'failed', code, message, retryable: false, outputDir: undefined };
    }
    return {
      id: job.id,
      task: job.task,
      module: resolved.module,
      exportName: resolved.exportName,
      file: resolved.file,
      root: resolved.root,
      key: job.key,
      params: job.params,
      paramsHash: job.paramsHash,
      attempt: job.attempt,
      workerId: this.options.workerId,
    };
  }

  /** Records a job given to `host`; the timeout counts from here (module loading included). */
  add(job: RunJob, host: H, pid: number): Promise<RunEnd> {
    return new Promise<RunEnd>((resolve) => {
      const tracked: Tracked<H> = {
        job,
        host,
        pid,
        dir: undefined,
        abortReason: undefined,
        timer: undefined,
        killTimer: undefined,
        dispatchedAt: Date.now(),
        resolve,
      };
      if (job.timeoutMs !== undefined) {
        tracked.timer = setTimeout(() => this.abort(job.id, 'timeout'), job.timeoutMs);
      }
      this.#jobs.set(job.id, tracked);
    });
  }

  get(id: number): Tracked<H> | undefined {
    return this.#jobs.get(id);
  }

  ofHost(host: H): Tracked<H>[] {
    return [...this.#jobs.values()].filter((tracked) => tracked.host === host);
  }

  /** Asks a job to stop; forced after the grace period. */
  abort(id: number, reason: AbortReason): void {
    const tracked = this.#jobs.get(id);
    if (tracked === undefined || tracked.abortReason !== undefined) return;
    tracked.abortReason = reason;
    if (tracked.timer) clearTimeout(tracked.timer);
    this.stops.ask(tracked);
    tracked.killTimer = setTimeout(() => this.stops.force(tracked), this.options.stopGraceMs);
  }

  onEvents(events: HostEvent[]): void {
    for (const event of events) {
      const tracked = this.#jobs.get(event.id);
      if (tracked === undefined) continue;
      if (event.t === 'dir') tracked.dir = event.dir;
      else this.#onEnd(tracked, event);
    }
  }

  /** The host is gone: every job it still had ends, as aborted, released or crashed. */
  onHostGone(host: H, code: number | null, signal: string | null, stray: string): void {
    for (const tracked of this.ofHost(host)) {
      let end: RunEnd;
      if (tracked.abortReason !== undefined) end = abortedEnd(tracked);
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        end = {
          kind: 'failed',
          code: signal ? 'ERR_TASK_CRASHED' : 'ERR_TASK_FAILED',
          message: withTail(
            `the task's process ${how} before run() returned (process.exit, a crash or out of memory)`,
            tracked.dir,
            stray,
          ),
          retryable: true,
          outputDir: tracked.dir,
        };
      }
      this.#settle(tracked, end, { code, signal, startedAt: tracked.dispatchedAt });
    }
  }

  /** Jobs that share a host with one being forced to stop are given back, not charged. */
  releaseNeighbours(host: H, except: Tracked<H>): void {
    for (const tracked of this.ofHost(host)) {
      if (tracked !== except && tracked.abortReason === undefined) tracked.abortReason = 'released';
    }
  }

  /** Ends a job that was asked to stop, without waiting for its host any more. */
  endAborted(tracked: Tracked<H>): void {
    this.#settle(tracked, abortedEnd(tracked), { code: null, signal: null, startedAt: tracked.dispatchedAt });
  }

  #onEnd(tracked: Tracked<H>, event: EndEvent): void {
    if (event.dir !== undefined) tracked.dir = event.dir;
    let end: RunEnd;
    if (tracked.abortReason !== undefined) end = abortedEnd(tracked);
    else if (event.ok) end = { kind: 'done', result: event.result, outputDir: tracked.dir };
    else {
      end = {
        kind: 'failed',
        code: event.code ?? 'ERR_TASK_FAILED',
        message: withTail(event.message ?? 'failed', tracked.dir, ''),
        retryable: event.retryable ?? true,
        outputDir: tracked.dir,
      };
    }
    this.#settle(tracked, end, {
      code: event.ok ? 0 : null,
      signal: null,
      startedAt: event.startedAt,
      endedAt: event.endedAt,
    });
  }

  #settle(
    tracked: Tracked<H>,
    end: RunEnd,
    how: { code: number | null; signal: string | null; startedAt: number; endedAt?: number },
  ): void {
    if (!this.#jobs.delete(tracked.job.id)) return;
    if (tracked.timer) clearTimeout(tracked.timer);
    if (tracked.killTimer) clearTimeout(tracked.killTimer);
    if (tracked.dir !== undefined) this.#writeFiles(tracked, end, how);
    tracked.resolve(
      end.kind === 'aborted' ? end : { ...end, startedAt: how.startedAt, endedAt: how.endedAt ?? Date.now() },
    );
  }

  #writeFiles(
    tracked: Tracked<H>,
    end: RunEnd,
    how: { code: number | null; signal: string | null; startedAt: number; endedAt?: number },
  ): void {
    const dir = tracked.dir as string;
    const { job } = tracked;
    const status: TaskStatusFile = {
      state: end.kind === 'aborted' ? (end.reason === 'cancelled' ? 'cancelled' : 'released') : end.kind,
      task: job.task,
      key: job.key,
      paramsHash: job.paramsHash,
      attempt: job.attempt,
      host: this.options.host,
      workerId: this.options.workerId,
      pid: tracked.pid,
      startedAt: new Date(how.startedAt).toISOString(),
      endedAt: new Date(how.endedAt ?? Date.now()).toISOString(),
      exitCode: how.code,
      signal: how.signal,
      error: end.kind === 'failed' ? end.message : null,
    };
    try {
      // A folder of outputs carries its result (bottle results --from, gathered outputs).
      if (end.kind === 'done' && end.result !== undefined) writeResultFile(dir, end.result);
      writeStatusFile(dir, status);
    } catch {
      // The directory may be gone; the report to the server carries the same outcome.
    }
  }
}

function abortedEnd<H>(tracked: Tracked<H>): RunEnd {
  if (tracked.abortReason === 'timeout') {
    return {
      kind: 'failed',
      code: 'ERR_TASK_TIMEOUT',
      message: `the task ran past its timeout and was stopped; raise the task's timeoutMs or the worker's --timeout`,
      retryable: true,
      outputDir: tracked.dir,
    };
  }
  return { kind: 'aborted', reason: tracked.abortReason ?? 'released', outputDir: tracked.dir };
}

function withTail(message: string, outputDir: string | undefined, stray: string): string {
  const tail = (outputDir ? readTail(join(outputDir, 'stderr.log'), tailBytes) : '') + stray;
  return tail.trim() === ''
    ? message
    : `${message}\n--- stderr (tail) ---\n${tail.slice(-tailBytes).trimEnd()}`;
}
