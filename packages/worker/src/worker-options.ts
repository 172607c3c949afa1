/** The options of a {@link Worker}: one interface, one defaults object, unknown keys rejected. */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { type BottleLogger, labelsSchema, type Resources, resourcesSchema } from '@bottle/protocol';
import type { BottleClient } from './client/client.js';
import { defaultLogger } from './logger.js';
import { type Isolation, isolations } from './runner/runner.js';

/** Options of `new Worker(options)`. Give `server` (a URL) or a ready `client`. */
export interface WorkerOptions {
  /**
   * Server URL, e.g. `http://127.0.0.1:1988`, or several servers of one database (an array, or URLs
   * separated by commas): when one stops answering, the worker carries on through the next.
   */
  server?: string | string[];
  /** A client to use instead of making one from `server` and `token`. */
  client?: BottleClient;
  /** Bearer token for the server. */
  token?: string;
  /** Tasks run at the same time (the CLI's `-x`). Default 1. */
  slots?: number;
  /**
   * Tasks leased beyond the free slots, so that a slot never waits for a claim. `auto` (the default)
   * keeps about 50 ms of work per slot in hand while recent tasks take under a second, none for longer ones.
   */
  prefetch?: number | 'auto';
  /** Directory task modules are resolved in (and default outputs go under). Default `process.cwd()`. */
  root?: string;
  /**
   * The command-task file (tasks declared as programs to run, see docs/tasks.md), relative to `root`;
   * `false` for none. Default: `bottle.yaml`, `bottle.yml` or `bottle.json` in `root`, if there is one.
   */
  taskFile?: string | false;
  /** Keep waiting for tasks when the queue is empty instead of finishing. Default false. */
  retryIfEmpty?: boolean;
  /** This worker's id on the server. Default `<host>-<pid>-<random>`. */
  workerId?: string;
  /** Host name reported to the server. Default `os.hostname()`. */
  host?: string;
  /** Run time after which a task is stopped, unless its spec says otherwise. Default: none. */
  timeoutMs?: number;
  /**
   * When the worker must be gone (epoch ms on this machine's clock: its Slurm allocation ends,
   * `--max-time`). Claims say how much time is left, so the server hands out no task expected to take
   * longer; at this moment the tasks still running are stopped and released, uncharged. Default: none.
   */
  stopAt?: number;
  /**
   * How long one task is expected to run: with `stopAt`, no more claims once less time is left.
   * Default: none (the server's run times of each scan decide alone).
   */
  taskTimeMs?: number;
  /** How long a claim waits on the server for work (long-poll). Default 30,000. */
  claimWaitMs?: number;
  /** How long a stopped task may take to honour `kill()` before SIGKILL. Default 3,000. */
  stopGraceMs?: number;
  /**
   * Where tasks run: `process` (the default: warm task processes; a crash or `process.exit` in a
   * task cannot take the worker down), `thread` (worker threads in the worker's process), or `none`
   * (the worker's own event loop: fastest, for trusted short tasks). See docs/worker.md.
   */
  isolation?: Isolation;
  /**
   * Task processes (or threads) the slots share. Default: the number of slots, at most the number
   * of CPU cores. Set it to `slots` for CPU-bound synchronous tasks that should not share one.
   */
  processes?: number;
  /** Extra Node flags for task processes (e.g. `--max-old-space-size=4096`). */
  execArgv?: string[];
  /** Most reports per /v1/report request; they are also sent after `reportDelayMs`. Default 1,000. */
  reportBatchSize?: number;
  /** How long a finished task's report may wait to be batched with others. Default 5 ms. */
  reportDelayMs?: number;
  /** Longest wait between retries while the server is unreachable. Default 5,000. */
  maxBackoffMs?: number;
  /**
   * What this worker has (the CLI's `--resources gpus=2,cpus=16`): named counts that tasks asking
   * resources hold while they run (see docs/resources.md). Merged over what is detected: `cpus`
   * (`os.availableParallelism()`) and `memory` in bytes (`os.totalmem()`); any other name, `gpus`
   * included, is 0 unless given. `slots` stays the most tasks at once.
   */
  resources?: Resources;
  /** Labels this worker has (the CLI's `--labels cuda12`): tasks that need a label go only to workers that have it. */
  labels?: string[];
  /** Where the worker's messages go (default: `DEBUG=bottle:worker`). */
  logger?: BottleLogger;
}

/** What a worker has when it is told nothing: its CPU count and memory in bytes. */
export function detectedResources(): Resources {
  return { cpus: availableParallelism(), memory: totalmem() };
}

/** Defaults of {@link WorkerOptions}. */
export const workerDefaults = {
  slots: 1,
  isolation: 'process' as Isolation,
  prefetch: 'auto' as number | 'auto',
  retryIfEmpty: false,
  claimWaitMs: 30_000,
  stopGraceMs: 3_000,
  execArgv: [] as string[],
  reportBatchSize: 1_000,
  reportDelayMs: 5,
  maxBackoffMs: 5_000,
  logger: defaultLogger,
} satisfies Partial<WorkerOptions>;

const knownKeys = new Set<string>([
  'server',
  'client',
  'token',
  'slots',
  'prefetch',
  'isolation',
  'processes',
  'root',
  'taskFile',
  'retryIfEmpty',
  'workerId',
  'host',
  'timeoutMs',
  'stopAt',
  'taskTimeMs',
  'claimWaitMs',
  'stopGraceMs',
  'execArgv',
  'reportBatchSize',
  'reportDelayMs',
  'maxBackoffMs',
  'resources',
  'labels',
  'logger',
]);

export type ResolvedWorkerOptions = typeof workerDefaults &
  Omit<WorkerOptions, keyof typeof workerDefaults> & {
    root: string;
    host: string;
    workerId: string;
    processes: number;
    resources: Resources;
    labels: string[];
  };

/** Merges the defaults and checks every option; throws a TypeError naming a bad one. */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  for (const key of Object.keys(options)) {
    if (key === 'killGraceMs') throw new TypeError('Worker: option "killGraceMs" is now "stopGraceMs"');
    if (!knownKeys.has(key)) throw new TypeError(`Worker: unknown option "${key}"`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const host = options.host ?? hostname();
  const merged = {
    ...workerDefaults,
    ...defined,
    root: options.root ?? process.cwd(),
    host,
    workerId: options.workerId ?? `${host}-${process.pid}-${randomBytes(3).toString('hex')}`,
    resources: { ...detectedResources(), ...options.resources },
    labels: [...new Set(options.labels ?? [])],
  } as ResolvedWorkerOptions;
  if (merged.server === undefined && merged.client === undefined) {
    throw new TypeError('Worker: give `server` (a URL) or `client`');
  }
  const positive = (name: keyof ResolvedWorkerOptions, min: number, value: unknown) => {
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min)) {
      throw new TypeError(`Worker: \`${String(name)}\` must be an integer >= ${min}, got ${String(value)}`);
    }
  };
  positive('slots', 1, merged.slots);
  if (!isolations.includes(merged.isolation)) {
    throw new TypeError(
      `Worker: \`isolation\` must be one of ${isolations.join(', ')}, got ${String(merged.isolation)}`,
    );
  }
  positive('processes', 1, merged.processes);
  merged.processes ??= Math.min(merged.slots, availableParallelism());
  if (merged.prefetch !== 'auto') positive('prefetch', 0, merged.prefetch);
  positive('timeoutMs', 1, merged.timeoutMs);
  positive('stopAt', 0, merged.stopAt);
  positive('taskTimeMs', 1, merged.taskTimeMs);
  positive('claimWaitMs', 0, merged.claimWaitMs);
  positive('stopGraceMs', 0, merged.stopGraceMs);
  positive('reportBatchSize', 1, merged.reportBatchSize);
  positive('reportDelayMs', 0, merged.reportDelayMs);
  positive('maxBackoffMs', 1, merged.maxBackoffMs);
  const resources = resourcesSchema.safeParse(merged.resources);
  if (!resources.success) {
    throw new TypeError(
      `Worker: \`resources\` must name amounts >= 0 (e.g. { gpus: 2 }): ${resources.error.issues[0]?.message}`,
    );
  }
  const labels = labelsSchema.safeParse(merged.labels);
  if (!labels.success) {
    throw new TypeError(
      `Worker: \`labels\` must be names such as cuda12: ${labels.error.issues[0]?.message}`,
    );
  }
  const extra = merged.prefetch === 'auto' ? merged.slots : merged.prefetch;
  if (merged.slots + extra > 1000) throw new TypeError('Worker: `slots` + `prefetch` must be <= 1000');
  if (merged.claimWaitMs > 120_000) throw new TypeError('Worker: `claimWaitMs` must be <= 120000');
  return merged;
}
