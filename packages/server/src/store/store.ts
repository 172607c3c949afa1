/**
 * The storage interface the router talks to. Every method returns a Promise so that a
 * backend over the network (PostgreSQL) can implement it; the SQLite store answers at once.
 *
 * Glossary: a *task* is one parameter set of one task module, identified by its key; an
 * *attempt* is one lease of a task to a worker (or one hand-out to a legacy worker); a *lease*
 * is the right to report on an attempt, proven by its random `leaseToken`, valid until it expires.
 */
import type {
  ClaimedTask,
  ClaimRequest,
  CountResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  LegacyTask,
  ListScansResponse,
  ListTasksResponse,
  ListWorkersResponse,
  Report,
  ReportResult,
  ScanActivity,
  ScanInfo,
  SubmitRequest,
  SubmitResponse,
  TaskDetailResponse,
  TaskInfo,
  TaskLogsResponse,
  TaskState,
} from '@bottle/protocol';
import type { Clock } from './clock.js';
import type { OwnedJob } from './owned-jobs.js';
import type { QueuePolicy } from './policy.js';
import type { QueuedReduce } from './reduce.js';

/** Parsed filters of `GET /v1/tasks`. */
export interface ListTasksFilter {
  state?: TaskState | undefined;
  scan?: string | undefined;
  task?: string | undefined;
  /** The worker of the task's last attempt. */
  worker?: string | undefined;
  /** Hex digits the key starts with. */
  key?: string | undefined;
  /** Text contained in the canonical JSON of one of the parameters' values. */
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What one sweep of expired leases did. */
export interface ExpiryResult {
  /** Tasks put back in the queue (their attempt recorded as `lost`). */
  requeued: number;
  /** Tasks whose attempts ran out: now `failed`. */
  failed: number;
}

/** Who is claiming through the legacy `GET /task` route. */
export interface LegacyClaimant {
  workerId: string;
  host: string;
}

/** What {@link Store.submitAndClaim} did: the submit's answer and one list of tasks per claim. */
export interface SubmittedAndClaimed {
  submitted: SubmitResponse;
  claimed: ClaimedTask[][];
}

export interface Store {
  /** The policy the store was opened with (defaults filled in); the router reads lease lengths here. */
  readonly policy: Readonly<Required<QueuePolicy>>;
  /** The time the store runs on (leases, backoffs, expiry); the router's queue runs on the same. */
  readonly clock?: Clock;
  /**
   * Adds tasks, idempotent by task key; `rerun` requeues finished ones. Committed before it resolves.
   * The request is trusted (already validated): servers and embedders submit through the router's or
   * server's `submit`, which validates and wakes waiting claims.
   */
  submit(request: SubmitRequest): Promise<SubmitResponse>;
  /**
   * Serves several claims in one transaction (expiring stale leases first): each request in order leases
   * up to its `max` ready tasks, until the queue runs dry. One list of tasks per request, in order;
   * an empty list for a request the queue could not serve. Never waits.
   */
  claim(requests: readonly ClaimRequest[]): Promise<ClaimedTask[][]>;
  /**
   * A submit, then the claims served from what is ready (as `claim`), together: the claims waiting
   * for work get the submitted tasks in the submit's own transaction where the store can (SQLite),
   * one commit instead of two. The claims are served only when the submit made a task ready (one
   * empty list per claim otherwise).
   */
  submitAndClaim(request: SubmitRequest, claims: readonly ClaimRequest[]): Promise<SubmittedAndClaimed>;
  /**
   * Extends the leases the worker still holds; names the cancelled ones, the finished ones (their own
   * report ended them: the report and the heartbeat crossed) and the lost ones (taken by another
   * worker, an expiry or a rerun).
   */
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse>;
  /**
   * Applies a batch of outcomes in one transaction, with one result per item in order. A report
   * resent unchanged on a lease that already reported is the same success again; another report on
   * that lease is refused with ERR_ALREADY_REPORTED.
   */
  report(workerId: string | undefined, reports: readonly Report[]): Promise<ReportResult[]>;
  /**
   * Checks that `leaseToken` is the task's valid lease, before an output upload is read; returns the
   * task's parameter hash (where the output goes). Throws ERR_STALE_LEASE or ERR_NOT_FOUND.
   */
  beginUpload(key: string, leaseToken: string): Promise<{ paramsHash: string }>;
  /**
   * Records that the output upload of this lease was committed, so that its `done` report is
   * accepted. Throws ERR_STALE_LEASE if the lease ended while the upload streamed.
   */
  recordUpload(key: string, leaseToken: string, bytes: number): Promise<void>;
  /** Cancels a queued or running task; a running one's worker learns it at its next heartbeat. */
  cancelTask(key: string): Promise<TaskInfo>;
  /** Cancels every queued and running task of a scan. */
  cancelScan(name: string): Promise<CountResponse>;
  /** Puts a finished task back in the queue with a fresh attempt budget. */
  rerunTask(key: string): Promise<TaskInfo>;
  /** Requeues a scan's failed (and cancelled) tasks, or with `all` every finished one. */
  rerunScan(name: string, only: 'failed' | 'all'): Promise<CountResponse>;
  /**
   * Sets the priority of every unfinished (queued or running) task of a scan: higher is handed out
   * first. Answers how many tasks it set; `ERR_NOT_FOUND` if the scan is unknown.
   */
  setScanPriority(name: string, priority: number): Promise<CountResponse>;
  /**
   * When the scan names a reduce task and every one of its tasks has ended, queues the reduce task of
   * this completion state in the scan `<name>.reduce`, once whoever asks and however often (the task
   * key is the guard: see reduce.ts). Null when there is nothing to queue.
   */
  queueReduce(scan: string): Promise<QueuedReduce | null>;
  /**
   * Records that the scan's end, in its current completion state, is being told (a webhook): the
   * completion digest for the first caller, null for any other (or when the scan has not ended), so
   * that several servers, or one before and after a restart, tell one end once.
   */
  tellScanEnd(scan: string): Promise<string | null>;
  listTasks(filter: ListTasksFilter): Promise<ListTasksResponse>;
  /** One task with its attempts, oldest first; `ERR_NOT_FOUND` if unknown. */
  getTask(key: string): Promise<TaskDetailResponse>;
  /**
   * The log tails an attempt's report carried (`attempt` defaults to the latest; empty strings when
   * it carried none). `ERR_NOT_FOUND` for an unknown task or attempt.
   */
  getLogs(key: string, attempt?: number): Promise<TaskLogsResponse>;
  /**
   * The key that starts with `prefix` (8 to 64 hex digits). `ERR_NOT_FOUND` if none does,
   * `ERR_AMBIGUOUS_KEY` if several do.
   */
  resolveKey(prefix: string): Promise<string>;
  listScans(): Promise<ListScansResponse>;
  /** `ERR_NOT_FOUND` if unknown. */
  getScan(name: string): Promise<ScanInfo>;
  /** Finishes per minute and durations of a scan, for charts. `ERR_NOT_FOUND` if unknown. */
  scanActivity(name: string): Promise<ScanActivity>;
  /**
   * The workers, last heard from first. With `seenSince` (epoch ms), only those heard from since then
   * and every one that holds a lease: what may have changed since a read at `seenSince`, so that a
   * watcher of 10^4 idle workers does not read them all again.
   */
  listWorkers(filter?: { seenSince?: number }): Promise<ListWorkersResponse>;
  /** Requeues (or fails, past their attempts) the tasks whose lease ended at or before `now`. */
  expireLeases(now?: number): Promise<ExpiryResult>;
  /** The Slurm jobs this queue's allocator submitted and has not seen end, oldest first. */
  listOwnedJobs(): Promise<OwnedJob[]>;
  /** Records a job the allocator submitted (a job id already known is left as it is). */
  recordOwnedJob(job: OwnedJob): Promise<void>;
  /** Forgets jobs that ended. */
  forgetOwnedJobs(jobIds: readonly string[]): Promise<void>;
  /** Epoch ms at which the earliest backed-off queued task becomes ready; null if none waits. */
  nextReadyAt(now?: number): Promise<number | null>;
  /** Hands out one task to a legacy worker for good (state `delivered`); null when none is ready. */
  claimLegacy(claimant: LegacyClaimant): Promise<LegacyTask | null>;
  /** Legacy `GET /tasks` and `GET /alltasks`: queued (or all) tasks in queue order, at most `limit`. */
  listLegacy(which: 'queued' | 'all', limit: number): Promise<LegacyTask[]>;
  /**
   * For stores shared by several servers: calls `listener` when work may have become ready through
   * another server (a submit, a release, a requeue), so that this server wakes its waiting claims.
   * Returns the function that stops listening. A store used by one server alone needs none.
   */
  onWork?(listener: () => void): () => void;
  close(): Promise<void>;
}
