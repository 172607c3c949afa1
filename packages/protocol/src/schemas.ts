/**
 * The wire messages of the `/v1` API, as zod schemas with their inferred types.
 * Server and worker both validate against these; `docs/protocol.md` describes each route.
 *
 * Requests are strict (an unknown key is a 400: a typo must not pass silently); responses drop
 * unknown keys, so that a newer server can add a field without breaking older workers.
 */
import { z } from 'zod';
import { isWellFormed } from './_well-formed.js';
import { type AnyErrorCode, ERROR_CODE_FORM } from './errors.js';
import { jsonValueIssue, SHA256_HEX } from './hash.js';
import type { JsonValue, Params } from './json.js';
import { labelsSchema, resourcesSchema } from './resources.js';

/**
 * Checks in one walk, without copying, what `canonicalJson` accepts: a copy would drop a
 * `"__proto__"` key silently, and a recursive schema would overflow the stack on deep values.
 */
function checkedJson(value: unknown, ctx: z.RefinementCtx, objectOnly: boolean): void {
  if (objectOnly && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    ctx.addIssue({ code: 'custom', message: 'parameters must be an object of named values' });
    return;
  }
  const issue = jsonValueIssue(value);
  if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
}

/** A JSON value: finite numbers, no lone surrogates, no `__proto__` key, at most MAX_JSON_DEPTH levels. */
export const jsonValueSchema = z
  .custom<JsonValue>(() => true)
  .superRefine((value, ctx) => checkedJson(value, ctx, false)) as unknown as z.ZodType<JsonValue>;

/** One parameter set: a plain object of JSON values, as `hashParams` accepts it. */
export const paramsSchema = z
  .custom<Params>(() => true)
  .superRefine((value, ctx) => checkedJson(value, ctx, true)) as unknown as z.ZodType<Params>;

/**
 * A string that is hashed or stored: refuses lone UTF-16 surrogates, which would be stored as
 * U+FFFD and so no longer match what was sent (a task would not hash to its own key).
 */
export const wellFormedString = () =>
  z.string().refine(isWellFormed, { message: 'a string with a lone UTF-16 surrogate' });

/** `path/to/module.exportName`, resolved by the worker inside its root. */
export const taskNameSchema = wellFormedString().min(1).max(512);
export const scanNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.\-:@+]+$/, 'scan names use letters, digits and _ . - : @ +');

/** 64 hex characters: SHA-256 of canonical JSON. */
export const hashSchema = z.string().regex(SHA256_HEX, 'a SHA-256 hex digest');
export const workerIdSchema = wellFormedString().min(1).max(200);
export const hostNameSchema = wellFormedString().min(1).max(255);
export const leaseTokenSchema = wellFormedString().min(1).max(200);
export const claimIdSchema = wellFormedString().min(1).max(200);

export const taskStates = ['queued', 'running', 'done', 'failed', 'cancelled', 'delivered'] as const;
export const taskStateSchema = z.enum(taskStates);
export type TaskState = z.infer<typeof taskStateSchema>;

/** How one attempt ended; `running` while it has not. `lost`: the lease expired (the worker vanished). */
export const attemptOutcomes = [
  'running',
  'done',
  'failed',
  'lost',
  'released',
  'cancelled',
  'delivered',
] as const;
export const attemptOutcomeSchema = z.enum(attemptOutcomes);
export type AttemptOutcome = z.infer<typeof attemptOutcomeSchema>;

// ---------------------------------------------------------------- submit

/**
 * A scan's objective: the result field its tasks are ranked by, lower better (`minimize`) or higher
 * better (`maximize`); a dotted path into a task's result (`loss`, `metrics.acc`). A search's scan
 * records the search's own, so that status, results and the dashboard rank by it unasked.
 */
export const objectiveSchema = z.union([
  z.strictObject({ minimize: wellFormedString().min(1).max(256) }),
  z.strictObject({ maximize: wellFormedString().min(1).max(256) }),
]);
export type Objective = z.infer<typeof objectiveSchema>;

export const taskSpecSchema = z.strictObject({
  task: taskNameSchema,
  params: paramsSchema,
  scan: scanNameSchema.optional(),
  /** Attempts before the task is `failed` (default: the server's). */
  maxAttempts: z.int().min(1).max(1000).optional(),
  /** Run time after which the worker kills the task. */
  timeoutMs: z.int().min(1).optional(),
  /** Higher is handed out first; first in, first out among equals (default: the request's, else 0). */
  priority: z.int().min(-1_000_000).max(1_000_000).optional(),
  /** What the task holds while it runs (`{ gpus: 1 }`): only a worker with that much free gets it. */
  resources: resourcesSchema.optional(),
  /** Labels its worker must have (`['cuda12']`). */
  needs: labelsSchema.optional(),
});
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** Most tasks one submit request may carry; `submitInChunks` sends a sweep of any size in chunks. */
export const MAX_SUBMIT_TASKS = 50_000;

export const submitRequestSchema = z.strictObject({
  tasks: z.array(taskSpecSchema).min(1).max(MAX_SUBMIT_TASKS),
  /** Scan for tasks that name none. */
  scan: scanNameSchema.optional(),
  /** Put finished (done, failed, cancelled) tasks back in the queue. */
  rerun: z.boolean().optional(),
  /** Priority of tasks that give none (default 0). A task already known keeps its own. */
  priority: z.int().min(-1_000_000).max(1_000_000).optional(),
  /**
   * The reduce task of the request's scan (e.g. `module.reduce`): queued once, in the scan
   * `<scan>.reduce`, each time every task of the scan has ended. Replaces the scan's former one.
   */
  reduce: taskNameSchema.optional(),
  /** Resources of tasks that give none (see `TaskSpec.resources`). */
  resources: resourcesSchema.optional(),
  /** Labels of tasks that give none (see `TaskSpec.needs`). */
  needs: labelsSchema.optional(),
  /** The objective of the request's scan (a search submits its own). Replaces the scan's former one. */
  objective: objectiveSchema.optional(),
});
export type SubmitRequest = z.infer<typeof submitRequestSchema>;

export const submitResponseSchema = z.object({
  created: z.int().min(0),
  existing: z.int().min(0),
  /** Of the existing ones, how many were requeued because `rerun` was asked. */
  requeued: z.int().min(0),
});
export type SubmitResponse = z.infer<typeof submitResponseSchema>;

// ---------------------------------------------------------------- claim

export const claimRequestSchema = z.strictObject({
  workerId: workerIdSchema,
  host: hostNameSchema,
  /** Most tasks to lease at once. */
  max: z.int().min(1).max(1000),
  /** Long-poll: how long the server may hold the request when nothing is queued. */
  waitMs: z.int().min(0).max(120_000),
  /**
   * Makes the claim idempotent: a fresh random id per claim, sent again unchanged when the claim is
   * repeated after a network error. A repeat answers the leases the first one granted that are still
   * held (none are added), so a lease whose answer was lost is not charged as a lost attempt.
   */
  claimId: claimIdSchema.optional(),
  /** Task names this worker cannot run (no module or definition on its machine): never hand these out. */
  exclude: z.array(taskNameSchema).max(1000).optional(),
  /**
   * Milliseconds before this worker must stop (its Slurm allocation ends, `--max-time`): no task is
   * handed out whose scan's done tasks took longer on average.
   */
  timeLeftMs: z.int().min(0).optional(),
  /**
   * What this worker has in all (`{ cpus: 16, memory: 68719476736, gpus: 2 }`): shown with the
   * worker, and what tells that a task no worker can take. A worker that declares nothing gets only
   * tasks that ask nothing.
   */
  resources: resourcesSchema.optional(),
  /**
   * What this worker has free now: `resources` less what the tasks it holds ask (default: all of
   * `resources`). Only tasks that fit are handed out, counted together within the claim.
   */
  free: resourcesSchema.optional(),
  /** Labels this worker has (`['cuda12']`): a task is handed out only if it has every label it needs. */
  labels: labelsSchema.optional(),
});
export type ClaimRequest = z.infer<typeof claimRequestSchema>;

export const claimedTaskSchema = z.object({
  key: hashSchema,
  task: taskNameSchema,
  params: paramsSchema,
  paramsHash: hashSchema,
  scan: scanNameSchema,
  /** 1 for the first attempt. */
  attempt: z.int().min(1),
  leaseToken: leaseTokenSchema,
  /** Epoch milliseconds. */
  leaseExpiresAt: z.int(),
  timeoutMs: z.int().min(1).optional(),
  /**
   * Attempts the task has left after this one: 0 means a failure of this attempt is final (so that a
   * worker knows a task failed for good).
   */
  attemptsLeft: z.int().min(0).optional(),
  /** What the task holds while it runs (absent when it asks nothing). */
  resources: resourcesSchema.optional(),
});
export type ClaimedTask = z.infer<typeof claimedTaskSchema>;

export const claimResponseSchema = z.object({
  tasks: z.array(claimedTaskSchema),
  /** Lease length the server grants; heartbeats extend it by as much. */
  leaseMs: z.int().min(1),
  /** How often the worker should heartbeat. */
  heartbeatMs: z.int().min(1),
  /** Present when the server gathers outputs: upload each task's output before reporting it done. */
  upload: z.object({ maxBytes: z.int().min(1) }).optional(),
  /**
   * On an empty answer: when the earliest task waiting for a retry backoff becomes ready (epoch ms,
   * the server's clock). A worker that stops when the queue is empty waits for it instead.
   */
  retryAt: z.int().optional(),
});
export type ClaimResponse = z.infer<typeof claimResponseSchema>;

// ---------------------------------------------------------------- heartbeat

export const leaseRefSchema = z.strictObject({ key: hashSchema, leaseToken: leaseTokenSchema });
export type LeaseRef = z.infer<typeof leaseRefSchema>;

export const heartbeatRequestSchema = z.strictObject({
  workerId: workerIdSchema,
  host: hostNameSchema.optional(),
  leases: z.array(leaseRefSchema).max(10_000),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  /** Keys whose leases now run until `leaseExpiresAt`. */
  extended: z.array(hashSchema),
  /** Keys cancelled by an operator: stop them. */
  cancelled: z.array(hashSchema),
  /**
   * Keys whose lease ended by its own report (the report and the heartbeat crossed): nothing was
   * taken back. Optional: servers before it answered such keys as `lost`.
   */
  finished: z.array(hashSchema).optional(),
  /** Keys whose lease is no longer this worker's (expired and handed out, or rerun): stop them. */
  lost: z.array(hashSchema),
  leaseExpiresAt: z.int(),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

// ---------------------------------------------------------------- report (complete, fail, release)

/**
 * When the task really ran (epoch ms, the worker's clock): a prefetched task waits in the worker
 * after its claim. The server keeps the length of the run, not the worker's clock.
 */
const runTimes = {
  startedAt: z.int().min(0).optional(),
  endedAt: z.int().min(0).optional(),
};

/** Longest log tail a report carries per stream, in characters. */
export const LOG_TAIL_MAX = 8192;

/**
 * The tail of an attempt's output, sent with its `done` or `failed` report: the last 8 KiB (8192
 * bytes) of the task's stdout and of its stderr, decoded as UTF-8 (so at most 8192 characters
 * each). A stream the task never wrote to is left out. The server keeps it per attempt.
 */
export const logTailsSchema = z.strictObject({
  stdout: z.string().max(LOG_TAIL_MAX).optional(),
  stderr: z.string().max(LOG_TAIL_MAX).optional(),
});
export type LogTails = z.infer<typeof logTailsSchema>;

export const completeSchema = z.strictObject({
  outcome: z.literal('done'),
  key: hashSchema,
  leaseToken: leaseTokenSchema,
  result: jsonValueSchema.optional(),
  ...runTimes,
  logs: logTailsSchema.optional(),
});
export const failSchema = z.strictObject({
  outcome: z.literal('failed'),
  key: hashSchema,
  leaseToken: leaseTokenSchema,
  /** Free text: a lone surrogate here (a message cut mid-character) is stored as U+FFFD, not refused. */
  error: z.string().max(64 * 1024),
  /** Requeue (with backoff) until the task's attempts run out; false fails it at once. */
  retryable: z.boolean(),
  ...runTimes,
  logs: logTailsSchema.optional(),
});
export const releaseSchema = z.strictObject({
  outcome: z.literal('released'),
  key: hashSchema,
  leaseToken: leaseTokenSchema,
});
export const reportSchema = z.discriminatedUnion('outcome', [completeSchema, failSchema, releaseSchema]);
export type Report = z.infer<typeof reportSchema>;
export type CompleteReport = z.infer<typeof completeSchema>;
export type FailReport = z.infer<typeof failSchema>;
export type ReleaseReport = z.infer<typeof releaseSchema>;

export const reportRequestSchema = z.strictObject({
  workerId: workerIdSchema,
  reports: z.array(reportSchema).min(1).max(10_000),
});
export type ReportRequest = z.infer<typeof reportRequestSchema>;

/**
 * Any `ERR_*` code, not only those this version knows: an older worker must read a newer server's
 * answer (a code it does not know is a failure with its message, like any other).
 */
export const errorCodeSchema = z.string().regex(ERROR_CODE_FORM) as unknown as z.ZodType<AnyErrorCode>;

export const reportResultSchema = z.union([
  z.object({ key: hashSchema, ok: z.literal(true) }),
  z.object({
    key: hashSchema,
    ok: z.literal(false),
    error: z.object({ code: errorCodeSchema, message: z.string() }),
  }),
]);
export type ReportResult = z.infer<typeof reportResultSchema>;

export const reportResponseSchema = z.object({ results: z.array(reportResultSchema) });
export type ReportResponse = z.infer<typeof reportResponseSchema>;

/** Bodies of the single-task routes `POST /v1/tasks/:key/{complete,fail,release}`. */
export const completeBodySchema = completeSchema.omit({ outcome: true, key: true }).extend({
  workerId: workerIdSchema.optional(),
});
export const failBodySchema = failSchema.omit({ outcome: true, key: true }).extend({
  workerId: workerIdSchema.optional(),
});
export const releaseBodySchema = releaseSchema.omit({ outcome: true, key: true }).extend({
  workerId: workerIdSchema.optional(),
});

// ---------------------------------------------------------------- operators' verbs

export const rerunScanRequestSchema = z.strictObject({
  /** `failed`: only failed (and cancelled) tasks; `all`: every finished task. */
  only: z.enum(['failed', 'all']).default('failed'),
});
export type RerunScanRequest = z.input<typeof rerunScanRequestSchema>;

/** `POST /v1/scans/:name/priority`: the new priority of every unfinished task of the scan. */
export const scanPriorityRequestSchema = z.strictObject({
  priority: z.int().min(-1_000_000).max(1_000_000),
});
export type ScanPriorityRequest = z.infer<typeof scanPriorityRequestSchema>;

export const countResponseSchema = z.object({ count: z.int().min(0) });
export type CountResponse = z.infer<typeof countResponseSchema>;

// ---------------------------------------------------------------- read side

export const taskInfoSchema = z.object({
  key: hashSchema,
  task: taskNameSchema,
  params: paramsSchema,
  paramsHash: hashSchema,
  scan: scanNameSchema,
  state: taskStateSchema,
  /** Attempts started so far, over every rerun. */
  attempts: z.int().min(0),
  /** Attempts counted against `maxAttempts` since the last rerun (a released task costs none). */
  chargedAttempts: z.int().min(0),
  maxAttempts: z.int().min(1),
  timeoutMs: z.int().min(1).nullable(),
  createdAt: z.int(),
  updatedAt: z.int(),
  /** Queued tasks are not handed out before this (retry backoff). */
  notBefore: z.int().nullable(),
  workerId: z.string().nullable(),
  host: z.string().nullable(),
  leaseExpiresAt: z.int().nullable(),
  startedAt: z.int().nullable(),
  finishedAt: z.int().nullable(),
  result: jsonValueSchema.nullable(),
  error: z.string().nullable(),
  /** Higher is handed out first. Absent from servers older than priorities. */
  priority: z.int().optional(),
  /** What the task holds while it runs (absent when it asks nothing). */
  resources: resourcesSchema.optional(),
  /** Labels its worker must have (absent when none). */
  needs: labelsSchema.optional(),
  /**
   * True for a queued task that no worker heard from lately can ever take (not enough resources in
   * all, or a label missing): it waits for a worker that fits. Absent otherwise.
   */
  unfit: z.boolean().optional(),
});
export type TaskInfo = z.infer<typeof taskInfoSchema>;

export const attemptInfoSchema = z.object({
  attempt: z.int().min(1),
  workerId: z.string(),
  host: z.string(),
  outcome: attemptOutcomeSchema,
  startedAt: z.int(),
  endedAt: z.int().nullable(),
  error: z.string().nullable(),
});
export type AttemptInfo = z.infer<typeof attemptInfoSchema>;

export const listTasksQuerySchema = z.strictObject({
  state: taskStateSchema.optional(),
  scan: scanNameSchema.optional(),
  task: taskNameSchema.optional(),
  /** Tasks whose last attempt is (or was) this worker's. */
  worker: workerIdSchema.optional(),
  /** Tasks whose key starts with these hex digits. */
  key: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/, 'hex digits of a task key')
    .optional(),
  /** Tasks with a parameter whose value (as canonical JSON text) contains this text. */
  q: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().max(200).optional(),
});
export type ListTasksQuery = z.input<typeof listTasksQuerySchema>;

export const listTasksResponseSchema = z.object({
  tasks: z.array(taskInfoSchema),
  nextCursor: z.string().nullable(),
});
export type ListTasksResponse = z.infer<typeof listTasksResponseSchema>;

export const taskDetailResponseSchema = z.object({
  task: taskInfoSchema,
  attempts: z.array(attemptInfoSchema),
});
export type TaskDetailResponse = z.infer<typeof taskDetailResponseSchema>;

export const stateCountsSchema = z.object({
  queued: z.int().min(0),
  running: z.int().min(0),
  done: z.int().min(0),
  failed: z.int().min(0),
  cancelled: z.int().min(0),
  delivered: z.int().min(0),
});
export type StateCounts = z.infer<typeof stateCountsSchema>;

export const scanInfoSchema = z.object({
  name: scanNameSchema,
  createdAt: z.int(),
  total: z.int().min(0),
  counts: stateCountsSchema,
  /** Attempts whose lease expired: many means a sick machine. */
  lostAttempts: z.int().min(0),
  /**
   * Tasks that finished (done, or failed for good) during the last `windowMs` before `at`: the
   * scan's recent rate. Absent from stores that do not keep it.
   */
  recent: z
    .object({ done: z.int().min(0), failed: z.int().min(0), windowMs: z.int().min(1), at: z.int() })
    .optional(),
  /** The running task that started first, or null when none runs. Absent from stores that do not keep it. */
  oldestRunning: z
    .object({ key: hashSchema, startedAt: z.int(), workerId: z.string().nullable() })
    .nullable()
    .optional(),
  /** The scan's reduce task (`SubmitRequest.reduce`), queued in `<name>.reduce` each time it ends. */
  reduce: taskNameSchema.optional(),
  /** The scan's objective (`SubmitRequest.objective`), when a submit named one. */
  objective: objectiveSchema.optional(),
});
export type ScanInfo = z.infer<typeof scanInfoSchema>;

/**
 * Whether a scan has ended: none of its tasks is queued or running (each is done, failed for good,
 * cancelled or delivered). A rerun or a new submit starts it again.
 */
export function scanEnded(scan: Pick<ScanInfo, 'counts'>): boolean {
  return scan.counts.queued === 0 && scan.counts.running === 0;
}

/**
 * The scan a scan's reduce tasks go to (`SubmitRequest.reduce`): beside it, so that they never hold
 * up its own end nor count in it.
 */
export function reduceScanOf(scan: string): string {
  return `${scan}.reduce`;
}

/**
 * Whether a task is a scan's reduce task, as the server queues it: in `<scan>.reduce`, with the
 * parameters `{ scan, completion }`. A worker runs it with the scan's results (docs/reduce.md).
 */
export function isReduceTask(task: { scan: string; params: Record<string, unknown> }): boolean {
  const { scan, completion } = task.params;
  return typeof scan === 'string' && typeof completion === 'string' && task.scan === reduceScanOf(scan);
}

/** One row of the results table a reduce task gets: one task of the scan it reduces. */
export interface ReduceInputRow {
  key: string;
  params: Params;
  /** The name of the task's output folder. */
  paramsHash: string;
  state: TaskState;
  result: JsonValue | null;
  error: string | null;
}

/** `GET /v1/scans/:name/wait?waitMs=N`: long-poll until the scan has ended, at most `waitMs`. */
export const scanWaitQuerySchema = z.strictObject({
  waitMs: z.coerce.number().int().min(0).max(120_000).default(0),
});
/** The scan as it is when it ended or when the wait ran out; `ended` says which. */
export const scanWaitResponseSchema = z.object({ scan: scanInfoSchema, ended: z.boolean() });
export type ScanWaitResponse = z.infer<typeof scanWaitResponseSchema>;

/** `GET /v1/scans/:name/activity`: finishes per minute and task durations, for charts. */
export const scanActivitySchema = z.object({
  name: scanNameSchema,
  /** `minute` is epoch ms / 60000; oldest first. Tasks that finished (done, or failed for good). */
  minutes: z.array(z.object({ minute: z.int(), done: z.int().min(0), failed: z.int().min(0) })),
  /** Done tasks by duration: bucket b holds durations d (ms) with 2^(b-1) <= d < 2^b (b = 0: d < 1 ms). */
  durations: z.array(z.object({ bucket: z.int().min(0), n: z.int().min(0) })),
});
export type ScanActivity = z.infer<typeof scanActivitySchema>;

/**
 * `GET /v1/scans/:name/events`, `event: finish`: a task of the scan that a report ended. Its
 * parameters are not repeated: a follower knows what it submitted (or reads the task).
 */
export const scanFinishEventSchema = z.object({
  key: hashSchema,
  state: z.enum(['done', 'failed']),
  result: jsonValueSchema.nullable(),
  error: z.string().nullable(),
  /** Epoch ms on the server's clock. */
  finishedAt: z.int(),
});
export type ScanFinishEvent = z.infer<typeof scanFinishEventSchema>;

export const listScansResponseSchema = z.object({ scans: z.array(scanInfoSchema) });
export type ListScansResponse = z.infer<typeof listScansResponseSchema>;

export const workerInfoSchema = z.object({
  workerId: z.string(),
  host: z.string(),
  firstSeen: z.int(),
  lastSeen: z.int(),
  /** Tasks this worker holds a lease on now. */
  running: z.int().min(0),
  /**
   * `alive`: heard from lately; `stale`: silent while holding leases (they will expire); `stopped`:
   * silent, holding nothing. Set by the server from the worker's last contact.
   */
  state: z.enum(['alive', 'stale', 'stopped']).optional(),
  /** What the worker has in all, as its last claim declared (absent if it declared nothing). */
  resources: resourcesSchema.optional(),
  /** Its labels, as its last claim declared. */
  labels: labelsSchema.optional(),
});
export type WorkerInfo = z.infer<typeof workerInfoSchema>;

export const listWorkersResponseSchema = z.object({ workers: z.array(workerInfoSchema) });
export type ListWorkersResponse = z.infer<typeof listWorkersResponseSchema>;

/** `GET /v1/tasks/:key/logs?attempt=N`: the log tails of one attempt (the latest by default). */
export const taskLogsQuerySchema = z.strictObject({
  attempt: z.coerce.number().int().min(1).optional(),
});
export const taskLogsResponseSchema = z.object({
  key: hashSchema,
  attempt: z.int().min(1),
  /** Empty when the attempt sent none (still running, lost, or from a worker that sends no logs). */
  stdout: z.string(),
  stderr: z.string(),
});
export type TaskLogsResponse = z.infer<typeof taskLogsResponseSchema>;

/**
 * A task key, or a prefix of one of at least 8 hex characters, in the operators' routes (show,
 * cancel, rerun, logs): the server resolves a unique prefix, and refuses an ambiguous one with
 * `ERR_AMBIGUOUS_KEY`.
 */
export const keyPrefixSchema = z
  .string()
  .regex(/^[0-9a-f]{8,64}$/, 'a task key or a prefix of 8+ hex digits');

export const healthResponseSchema = z.object({
  ok: z.literal(true),
  version: z.string(),
  /** Random per server start: two answers with the same `instance` come from the same server. */
  instance: z.string().optional(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

// ---------------------------------------------------------------- gathered outputs

/** `PUT /v1/tasks/:key/output`: what the server committed. */
export const uploadResponseSchema = z.object({
  files: z.int().min(0),
  /** Archive bytes read. */
  bytes: z.int().min(0),
  /** SHA-256 (hex) of the archive bytes read. */
  sha256: hashSchema,
});
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

/** `GET /v1/outputs`: the parameter hashes with a gathered output, sorted. */
export const listOutputsResponseSchema = z.object({ outputs: z.array(hashSchema) });
export type ListOutputsResponse = z.infer<typeof listOutputsResponseSchema>;

export const outputFileSchema = z.object({
  /** Relative to the task's output directory, `/`-separated. */
  path: z.string().min(1),
  size: z.int().min(0),
  sha256: hashSchema,
  mtimeMs: z.int(),
});
export type OutputFileInfo = z.infer<typeof outputFileSchema>;

/** `GET /v1/outputs/:paramsHash/files`. */
export const outputFilesResponseSchema = z.object({
  paramsHash: hashSchema,
  files: z.array(outputFileSchema),
});
export type OutputFilesResponse = z.infer<typeof outputFilesResponseSchema>;

// ---------------------------------------------------------------- errors

export const errorBodySchema = z.object({
  error: z.object({ code: errorCodeSchema, message: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---------------------------------------------------------------- legacy (the 2013 Python worker)

/** `GET /task`: one task, or `[]` when none. */
export const legacyTaskSchema = z.object({ params: paramsSchema, class_path: z.string() });
export type LegacyTask = z.infer<typeof legacyTaskSchema>;
