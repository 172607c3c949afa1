/**
 * `Worker`: claims tasks in batches (long-poll), hands each to a runner (warm task processes by
 * default, worker threads, or its own event loop: see `isolation`), heartbeats every held lease in
 * one request from this process, and reports outcomes in batches. It keeps running through a server
 * outage and reports when the server is back.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  BottleError,
  type ClaimedTask,
  type ClaimRequest,
  isBottleError,
  isReduceTask,
  type Params,
  type ReduceInputRow,
  type Report,
  type ReportResult,
} from '@bottle/protocol';
import { Heartbeats } from './_heartbeats.js';
import { claimOffer } from './_offer.js';
import { PrefetchPolicy } from './_prefetch.js';
import { Reporter } from './_reporter.js';
import { resolvable, WakeUp, withDeadline } from './_wakeup.js';
import type { BottleClient } from './client/client.js';
import { isTransient, ServerList } from './client/server-list.js';
import { CommandRunner } from './command/command-runner.js';
import { type CommandTaskFile, findTaskFile, loadTaskFile } from './command/task-file.js';
import { endAfterUpload, uploadTaskOutput } from './gather/upload.js';
import { createModuleRunner } from './runner/create-runner.js';
import type { DoneEnd, RunEnd, RunTimes, TaskRunner } from './runner/runner.js';
import { attemptLogTails } from './runner/task-files.js';
import type { TaskEndInfo, WorkerEvents, WorkerSummary } from './worker-events.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

interface Held {
  task: ClaimedTask;
  state: 'queued' | 'running' | 'uploading' | 'reporting';
  /** The runner and job id while it runs. */
  run?: { runner: TaskRunner; id: number } | undefined;
  /** Set when the server gathers outputs (its claim said so): upload before reporting done. */
  upload?: { maxBytes: number } | undefined;
  uploadAbort?: AbortController | undefined;
  /** The server took the task back while its output was uploading. */
  takenBack?: 'cancelled' | 'lost' | undefined;
}

/**
 * Runs tasks from a bottle server until the queue is empty (or forever with `retryIfEmpty`).
 *
 * @example
 * const worker = new Worker({ server: 'http://127.0.0.1:1988', slots: 4 });
 * worker.on('task.failed', (task, error) => console.error(task.task, error.message));
 * const summary = await worker.run(); // { done, failed, durationMs, ... }
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly options: ResolvedWorkerOptions;
  readonly #servers: ServerList;
  readonly #ownsClient: boolean;
  /** Tasks whose last attempt here failed and that the server will not queue again. */
  readonly #failedForGood = new Set<string>();
  readonly #held = new Map<string, Held>();
  readonly #waiting: Held[] = [];
  #runner: TaskRunner | undefined;
  /** Runs the task file's command tasks, when the worker has a task file. */
  #commandRunner: TaskRunner | undefined;
  #freeSlots: number;
  /** Tasks declared as commands in the worker's task file (bottle.yaml), if it has one. */
  readonly #commands: CommandTaskFile | undefined;
  /** Task names this worker has no code for: released when met, excluded from claims. */
  readonly #cannotRun = new Set<string>();
  readonly #reporter: Reporter;
  readonly #prefetch: PrefetchPolicy;
  readonly #summary: WorkerSummary;
  #claimAbort = new AbortController();
  /** Cuts the waiting claim short when a task that held resources ends (set while tasks hold some). */
  #reoffer: AbortController | undefined;
  readonly #wakeUp = new WakeUp();
  #stopping: 'no' | 'graceful' | 'force' = 'no';
  readonly #heartbeats: Heartbeats;
  #running: Promise<WorkerSummary> | undefined;
  #nextId = 1;
  #fatal: unknown;
  readonly #forced = resolvable();

  constructor(options: WorkerOptions) {
    super();
    this.options = resolveWorkerOptions(options);
    this.#ownsClient = this.options.client === undefined;
    this.#servers = this.options.client
      ? new ServerList([this.options.client])
      : ServerList.of(serverUrls(this.options.server), { token: this.options.token });
    this.#freeSlots = this.options.slots;
    this.#summary = {
      workerId: this.options.workerId,
      done: 0,
      failed: 0,
      released: 0,
      cancelled: 0,
      lost: 0,
      unreported: 0,
      failedForGood: 0,
      cannotRun: [],
      durationMs: 0,
    };
    const taskFile =
      this.options.taskFile === false ? undefined : findTaskFile(this.options.root, this.options.taskFile);
    this.#commands = taskFile === undefined ? undefined : loadTaskFile(taskFile);
    this.#prefetch = new PrefetchPolicy(this.options.prefetch, this.options.slots);
    this.#reporter = new Reporter(this.#servers, {
      workerId: this.options.workerId,
      batchSize: this.options.reportBatchSize,
      delayMs: this.options.reportDelayMs,
      maxBackoffMs: this.options.maxBackoffMs,
      onResult: (report, result) => this.#onReported(report, result),
      onWarn: (error) => this.#warn(error, 'report'),
    });
    this.#heartbeats = new Heartbeats(this.#servers, {
      workerId: this.options.workerId,
      host: this.options.host,
      leases: () =>
        [...this.#held.values()].map(({ task }) => ({ key: task.key, leaseToken: task.leaseToken })),
      onTakenBack: (key, reason) => this.#takeBack(key, reason),
      onWarn: (error) => this.#warn(error, 'heartbeat'),
    });
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /** The client of the server the worker talks to now (it moves on when a server stops answering). */
  get client(): BottleClient {
    return this.#servers.current;
  }

  /** Every server the worker may talk to, in the order it tries them. */
  get servers(): readonly BottleClient[] {
    return this.#servers.clients;
  }

  /** Runs until the queue is empty and nothing runs (or until stopped); resolves with a summary. */
  run(): Promise<WorkerSummary> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /**
   * Stops claiming. Running tasks finish and are reported; with `force` they are killed and their
   * leases released, so that the server hands them out again at once. Resolves when `run()` has.
   */
  async stop(options: { force?: boolean } = {}): Promise<WorkerSummary | undefined> {
    const force = options.force === true;
    if (this.#stopping === 'force' || (this.#stopping === 'graceful' && !force)) return this.#running;
    this.#stopping = force ? 'force' : 'graceful';
    this.#claimAbort.abort(new BottleError('ERR_UNAVAILABLE', 'the worker is stopping'));
    this.#wakeUp.wake();
    for (const held of this.#waiting.splice(0)) this.#release(held);
    if (force) {
      this.#forced.resolve();
      for (const held of this.#held.values()) {
        if (held.state === 'running') held.run?.runner.abort(held.run.id, 'released');
        else if (held.state === 'uploading') held.uploadAbort?.abort();
      }
    }
    return this.#running;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop({ force: true });
  }

  async #run(): Promise<WorkerSummary> {
    const startedAt = Date.now();
    const log = this.options.logger;
    let timeUp: NodeJS.Timeout | undefined;
    log.info(
      `worker ${this.workerId} on ${this.#servers.clients.map((c) => c.url).join(', ')} with ${this.options.slots} slot(s), isolation ${this.options.isolation}, root ${this.options.root}`,
    );
    try {
      // A worker with a task file mostly runs its commands: its module runner (a warm Node process
      // by default) starts with the first module task, not beside the command launchers.
      if (this.#commands === undefined) this.#runner = this.#moduleRunner();
      else {
        this.#commandRunner = new CommandRunner(this.#commands, {
          host: this.options.host,
          workerId: this.options.workerId,
          stopGraceMs: this.options.stopGraceMs,
          slots: this.options.slots,
        });
      }
      const stopAt = this.options.stopAt;
      if (stopAt !== undefined) {
        timeUp = setTimeout(
          () => {
            if (this.#held.size > 0)
              log.warn(`the worker's time is up: releasing the ${this.#held.size} task(s) it holds`);
            void this.stop({ force: true });
          },
          Math.max(0, stopAt - Date.now()),
        );
      }
      await this.#claimLoop();
      await this.#allSettled();
      // Reports wait for the server as long as it takes, unless a forced stop gives them one last try.
      if (this.#stopping !== 'force') await Promise.race([this.#reporter.drained(), this.#forced.promise]);
      if (this.#stopping === 'force') await withDeadline(this.#reporter.flushOnce(), 5_000);
    } finally {
      clearTimeout(timeUp);
      this.#heartbeats.stop();
      this.#reporter.close();
      await this.#runner?.close();
      await this.#commandRunner?.close();
      if (this.#ownsClient) this.#servers.close();
    }
    this.#summary.durationMs = Date.now() - startedAt;
    this.#summary.failedForGood = this.#failedForGood.size;
    if (this.#fatal !== undefined) throw this.#fatal;
    log.info(`worker ${this.workerId} finished: ${JSON.stringify(this.#summary)}`);
    return { ...this.#summary, cannotRun: [...this.#summary.cannotRun] };
  }

  async #claimLoop(): Promise<void> {
    let backoffMs = 0;
    let connected = false;
    /** When a task of the queue waiting for a retry backoff becomes ready (the server's clock). */
    let retryAt: number | undefined;
    /**
     * A claim that got no answer (a network error, a timeout, a 5xx): sent again as it was, with its
     * claimId, so that leases the server granted before the answer was lost come back to this worker.
     */
    let unanswered: ClaimRequest | undefined;
    /** The id of a claim cut short to offer freed resources (see #report). */
    let reclaim: string | undefined;
    const o = this.options;
    while (this.#stopping === 'no') {
      const timeLeftMs = o.stopAt === undefined ? undefined : Math.max(0, o.stopAt - Date.now());
      if (timeLeftMs !== undefined && timeLeftMs <= (o.taskTimeMs ?? 0)) {
        o.logger.warn(`${Math.round(timeLeftMs / 1000)} s left, less than a task takes: no more claims`);
        break;
      }
      const active = this.#countActive();
      const extra = this.#prefetch.extra;
      const capacity = o.slots + extra - active;
      // Short tasks, some in hand: top up in batches (half the window), not one claim per task ended.
      const topUpLater =
        extra > o.slots && this.#waiting.length > 0 && capacity < Math.ceil((o.slots + extra) / 2);
      if (capacity <= 0 || topUpLater) {
        await this.#wakeUp.sleep();
        continue;
      }
      // Without retryIfEmpty a worker does not wait on the server for tasks that are not there: it
      // asks, and finishes when nothing is left (an empty queue with tasks still running is handled
      // below). A queue whose tasks wait for a retry backoff is not empty: wait for the first to be
      // ready (the server wakes the long poll then; the margin covers a skew between the clocks).
      const waitMs = Math.min(
        timeLeftMs === undefined ? Number.POSITIVE_INFINITY : timeLeftMs - (o.taskTimeMs ?? 0),
        o.retryIfEmpty
          ? o.claimWaitMs
          : Math.min(o.claimWaitMs, retryAt === undefined ? 0 : Math.max(retryAt - Date.now(), 0) + 1_000),
      );
      const offer = claimOffer(o.resources, o.labels, this.#held.values());
      // A claim says what is free when it is sent: while tasks hold resources, a task ending cuts the
      // waiting claim short (#report), and the next one offers what it freed.
      const reoffer = new AbortController();
      this.#reoffer = offer.free === undefined ? undefined : reoffer;
      let tasks: ClaimedTask[];
      let upload: Held['upload'];
      const client = this.#servers.current;
      const request: ClaimRequest = unanswered ?? {
        workerId: o.workerId,
        host: o.host,
        max: Math.min(capacity, 1000),
        waitMs,
        // A claim cut short to offer freed resources keeps its id: leases it may have granted come back.
        claimId: reclaim ?? randomUUID(),
        ...(this.#cannotRun.size > 0 ? { exclude: [...this.#cannotRun] } : {}),
        ...(timeLeftMs === undefined ? {} : { timeLeftMs }),
        ...offer,
      };
      unanswered = undefined;
      reclaim = undefined;
      try {
        const signal = AbortSignal.any([this.#claimAbort.signal, reoffer.signal]);
        const answer = await client.claim(request, { signal });
        this.#servers.succeeded(client);
        backoffMs = 0;
        connected = true;
        tasks = answer.tasks;
        upload = answer.upload;
        retryAt = answer.retryAt;
        this.#heartbeats.every(answer.heartbeatMs);
      } catch (error) {
        if (this.#stopping !== 'no') break;
        if (reoffer.signal.aborted) {
          reclaim = request.claimId;
          continue;
        }
        if (isTransient(error)) unanswered = request;
        // Another server of the list may answer: try it at once, back off only when all are down.
        if (this.#servers.failed(client, error)) {
          this.#warn(error, `claim (trying ${this.#servers.current.url})`);
          continue;
        }
        // A server never reached is more likely a wrong URL than an outage: say so at once,
        // unless the worker was asked to wait (retryIfEmpty).
        if (!isTransient(error) || (!connected && !o.retryIfEmpty)) {
          this.#fatal = error;
          this.options.logger.error(`claim failed: ${messageOf(error)}; stopping`);
          // run() rejects with this error; the stop's own promise is the same one.
          this.stop({ force: true }).catch(() => {});
          break;
        }
        this.#warn(error, 'claim');
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), o.maxBackoffMs);
        await this.#wakeUp.sleep(backoffMs);
        continue;
      }
      if (tasks.length === 0) {
        if (!o.retryIfEmpty && retryAt === undefined) {
          if (this.#held.size === 0) break;
          // The queue is empty, this worker's tasks still run or are being reported: a failure may
          // requeue its task, so ask again when one ends or its report lands (or after a second),
          // rather than hold a long poll that makes the last task's end wait for its timeout.
          await this.#wakeUp.sleep(1_000);
        }
        continue;
      }
      const fresh: Held[] = tasks.map((task) => ({ task, state: 'queued', upload }));
      for (const held of fresh) this.#held.set(held.task.key, held);
      this.emit('tasks.claimed', tasks);
      if (this.#stopping !== 'no') {
        for (const held of fresh) this.#release(held);
        break;
      }
      this.#waiting.push(...fresh);
      this.#dispatch();
    }
  }

  #countActive(): number {
    let count = 0;
    for (const held of this.#held.values()) if (held.state !== 'reporting') count++;
    return count;
  }

  #dispatch(): void {
    while (this.#waiting.length > 0 && this.#stopping !== 'force' && this.#freeSlots > 0) {
      const held = this.#waiting.shift() as Held;
      this.#freeSlots--;
      void this.#runOne(held).finally(() => {
        this.#freeSlots++;
        this.#dispatch();
        this.#wakeUp.wake();
      });
    }
  }

  async #runOne(held: Held): Promise<void> {
    const { task } = held;
    const started = Date.now();
    held.state = 'running';
    const runner = this.#runnerFor(task.task);
    const id = this.#nextId++;
    held.run = { runner, id };
    this.emit('task.started', task);
    const input = isReduceTask(task) ? await this.#reduceInput(task) : { params: task.params };
    if ('end' in input) {
      held.run = undefined;
      this.#finish(held, input.end, started);
      return;
    }
    let end = await runner.run({
      id,
      task: task.task,
      key: task.key,
      params: input.params,
      paramsHash: task.paramsHash,
      attempt: task.attempt,
      timeoutMs: task.timeoutMs ?? this.#commands?.tasks.get(task.task)?.timeoutMs ?? this.options.timeoutMs,
    });
    held.run = undefined;
    if (end.kind === 'done' && held.upload && end.outputDir !== undefined)
      end = await this.#upload(held, end);
    this.#finish(held, end, started);
  }

  /**
   * A reduce task runs with the results table of the scan it reduces, read from the server now: its
   * parameters plus `results`. A failed read fails the attempt, to be retried.
   */
  async #reduceInput(task: ClaimedTask): Promise<{ params: Params } | { end: RunEnd }> {
    const scan = String(task.params['scan']);
    try {
      const results: ReduceInputRow[] = [];
      for await (const row of this.client.iterateTasks({ scan, limit: 1000 })) {
        const { key, params, paramsHash, state, result, error } = row;
        results.push({ key, params, paramsHash, state, result, error });
      }
      return { params: { ...task.params, results } as unknown as Params };
    } catch (error) {
      const message = `reading the results of scan '${scan}' for its reduce: ${(error as Error)?.message ?? String(error)}`;
      const code = isBottleError(error) ? error.code : 'ERR_HTTP';
      return { end: { kind: 'failed', code, message, retryable: true, outputDir: undefined } };
    }
  }

  /**
   * The runner for a task name: module tasks in the isolation chosen. Other kinds of task (command
   * tasks) plug in here with a runner of their own, chosen by name.
   */
  #runnerFor(taskName: string): TaskRunner {
    if (this.#commandRunner !== undefined && this.#commands?.tasks.has(taskName)) return this.#commandRunner;
    this.#runner ??= this.#moduleRunner();
    return this.#runner;
  }

  #moduleRunner(): TaskRunner {
    const o = this.options;
    return createModuleRunner({
      isolation: o.isolation,
      processes: o.processes,
      execArgv: o.execArgv,
      root: o.root,
      host: o.host,
      workerId: o.workerId,
      stopGraceMs: o.stopGraceMs,
      onStray: (stream, text) => o.logger.debug?.(`task process ${stream}: ${text.trimEnd()}`),
    });
  }

  /**
   * A task whose module or definition this worker lacks is not the task's failure: it goes back to the
   * queue uncharged, for a worker that has it, and this worker says so once and claims that name no more.
   */
  #releaseIfCannotRun(held: Held, error: { code: BottleError['code']; message: string }): boolean {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' && error.code !== 'ERR_EXPORT_NOT_FOUND') return false;
    const name = held.task.task;
    if (!this.#cannotRun.has(name)) {
      this.#cannotRun.add(name);
      this.#summary.cannotRun.push(name);
      const file = this.#commands
        ? `it is not in ${this.#commands.file} and `
        : name.includes('.')
          ? ''
          : `there is no task file (bottle.yaml) in ${this.options.root} and `;
      this.#warn(
        new BottleError(
          error.code,
          `cannot run task "${name}" here: ${file}${error.message}; its tasks are left for other workers and this worker claims them no more`,
        ),
        'task',
      );
    }
    this.#release(held);
    this.emit('task.stopped', held.task, 'released');
    return true;
  }

  /** With `--gather`: the output goes to the server before the task is reported done (it holds the slot). */
  async #upload(held: Held, end: DoneEnd): Promise<RunEnd> {
    held.state = 'uploading';
    held.uploadAbort = new AbortController();
    // Each retry goes through the server in use then (the others move on when one stops answering).
    const servers = {
      uploadOutput: (...args: Parameters<BottleClient['uploadOutput']>) => this.client.uploadOutput(...args),
    };
    const outcome = await uploadTaskOutput(servers, held.task, end.outputDir as string, {
      signal: held.uploadAbort.signal,
      maxBackoffMs: this.options.maxBackoffMs,
      onRetry: (error, retry) => this.#warn(error, `upload of task ${held.task.key} (retry ${retry})`),
    });
    held.uploadAbort = undefined;
    return endAfterUpload(outcome, end, this.#stopping === 'force' ? 'released' : held.takenBack);
  }

  #finish(held: Held, end: RunEnd, started: number): void {
    const { task } = held;
    const info: TaskEndInfo = { outputDir: end.outputDir, durationMs: Date.now() - started };
    this.#prefetch.record(info.durationMs);
    if (end.kind === 'done') {
      this.#summary.done++;
      this.#failedForGood.delete(task.key);
      this.#report(held, {
        outcome: 'done',
        key: task.key,
        leaseToken: task.leaseToken,
        ...(end.result === undefined ? {} : { result: end.result }),
        ...runFacts(task, end),
      });
      this.emit('task.done', task, end.result, info);
    } else if (end.kind === 'failed') {
      if (this.#releaseIfCannotRun(held, end)) return;
      this.#summary.failed++;
      info.final = isFinalFailure(task, end.retryable);
      if (info.final) this.#failedForGood.add(task.key);
      const error = new BottleError(end.code, end.message);
      this.#report(held, {
        outcome: 'failed',
        key: task.key,
        leaseToken: task.leaseToken,
        error: `${end.code}: ${end.message}`.slice(0, 60_000),
        retryable: end.retryable,
        ...runFacts(task, end),
      });
      this.emit('task.failed', task, error, info);
    } else if (end.reason === 'released') {
      this.#release(held);
      this.emit('task.stopped', task, 'released');
    } else {
      // Cancelled or lost: the server has already moved on; nothing to report.
      this.#summary[end.reason]++;
      this.#held.delete(task.key);
      this.emit('task.stopped', task, end.reason);
    }
  }

  #release(held: Held): void {
    this.#summary.released++;
    this.#report(held, { outcome: 'released', key: held.task.key, leaseToken: held.task.leaseToken });
  }

  #report(held: Held, report: Report): void {
    held.state = 'reporting';
    this.#reporter.add(report);
    // What it held is free: a claim waiting with the offer made before is cut short and sent again.
    if (held.task.resources !== undefined) this.#reoffer?.abort();
  }

  #onReported(report: Report, result: ReportResult): void {
    this.#held.delete(report.key);
    if (!result.ok) {
      this.#summary.unreported++;
      this.#warn(
        new BottleError(
          result.error.code as BottleError['code'],
          `the server did not accept the ${report.outcome} report of task ${report.key}: ${result.error.message}`,
        ),
        'report',
      );
    }
    this.#wakeUp.wake();
  }

  /** The server took a task back: stop it if it runs, forget it if it waits. */
  #takeBack(key: string, reason: 'cancelled' | 'lost'): void {
    const held = this.#held.get(key);
    if (held === undefined) return;
    if (held.state === 'running') held.run?.runner.abort(held.run.id, reason);
    else if (held.state === 'uploading') {
      held.takenBack = reason;
      held.uploadAbort?.abort();
    } else if (held.state === 'queued') {
      this.#waiting.splice(this.#waiting.indexOf(held), 1);
      this.#held.delete(key);
      this.#summary[reason]++;
      this.emit('task.stopped', held.task, reason);
      this.#wakeUp.wake();
    }
  }

  // ------------------------------------------------------------ plumbing

  async #allSettled(): Promise<void> {
    while (this.#countActive() > 0) await this.#wakeUp.sleep();
  }

  #warn(error: unknown, what: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.options.logger.warn(`${what}: ${err.message}`);
    if (this.listenerCount('worker.warning') > 0) this.emit('worker.warning', err);
  }
}

/** What a report says of the run besides its outcome: when it really ran, and its log tails. */
function runFacts(task: ClaimedTask, end: RunTimes & { outputDir: string | undefined }) {
  const logs = end.outputDir === undefined ? undefined : attemptLogTails(end.outputDir, task.attempt);
  return {
    ...(end.startedAt === undefined ? {} : { startedAt: end.startedAt }),
    ...(end.endedAt === undefined ? {} : { endedAt: end.endedAt }),
    ...(logs === undefined ? {} : { logs }),
  };
}

/**
 * Whether the server will not queue a failed task again. A server that does not say how many
 * attempts a task has is taken at its worst: the failure counts as final.
 */
function isFinalFailure(task: ClaimedTask, retryable: boolean): boolean {
  return !retryable || task.attemptsLeft === undefined || task.attemptsLeft === 0;
}

/** `server` as one URL, a comma-separated list, or an array of either. */
function serverUrls(server: string | readonly string[] | undefined): string[] {
  const list = (Array.isArray(server) ? server : [server ?? ''])
    .flatMap((entry: string) => entry.split(','))
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (list.length === 0) throw new TypeError('Worker: `server` names no URL');
  return list;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
