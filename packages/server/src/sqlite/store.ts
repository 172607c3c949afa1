/**
 * `SqliteStore`: the default Store, one SQLite file (WAL) through better-sqlite3.
 * Every write is one IMMEDIATE transaction, committed before the promise resolves.
 */
import {
  BottleError,
  type ClaimedTask,
  type ClaimRequest,
  type CountResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type LegacyTask,
  type ListScansResponse,
  type ListTasksResponse,
  type ListWorkersResponse,
  type Report,
  type ReportResult,
  type ScanActivity,
  type ScanInfo,
  type SubmitRequest,
  type SubmitResponse,
  type TaskDetailResponse,
  type TaskInfo,
  type TaskLogsResponse,
} from '@bottle/protocol';
import type Database from 'better-sqlite3';
import { type Clock, checkClock, systemClock } from '../store/clock.js';
import type { OwnedJob } from '../store/owned-jobs.js';
import { type QueuePolicy, resolveQueuePolicy } from '../store/policy.js';
import type { QueuedReduce } from '../store/reduce.js';
import type {
  ExpiryResult,
  LegacyClaimant,
  ListTasksFilter,
  Store,
  SubmittedAndClaimed,
} from '../store/store.js';
import { createSqlContext, type OpContext, type SqlContext } from './_context.js';
import { claim, claimLegacy } from './claim.js';
import { expireLeases, nextReadyAt } from './expiry.js';
import { heartbeat } from './heartbeat.js';
import { getLogs, resolveKey, saveLogs } from './logs.js';
import { openQueueFile } from './open.js';
import { cancelScan, cancelTask, rerunScan, rerunTask, setScanPriority } from './operators.js';
import { forgetOwnedJobs, listOwnedJobs, recordOwnedJob } from './owned-jobs.js';
import { getTask, listLegacy, listTasks, listWorkers } from './queries.js';
import { queueReduce, tellScanEnd } from './reduce.js';
import { report } from './report.js';
import { recordRunTimes } from './run-times.js';
import { getScan, listScans, scanActivity } from './scans.js';
import { migrate } from './schema.js';
import { submit } from './submit.js';
import { beginUpload, recordUpload } from './upload.js';

export interface SqliteStoreOptions {
  /** Lease length, attempts, backoff and upload rule; unset fields take `defaultQueuePolicy`'s. */
  policy?: Partial<QueuePolicy>;
  /**
   * `normal` (default): WAL with synchronous=NORMAL. A committed write survives the death of the
   * process (kill -9), but the last transactions may be lost if the machine loses power.
   * `full`: synchronous=FULL, an fsync per commit: survives power loss, costs throughput.
   */
  durability?: 'normal' | 'full';
  /** How long a write waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  /** The time leases, backoffs and expiry run on (tests set it); the machine's clock by default. */
  clock?: Clock;
}

const sqliteStoreDefaults = {
  policy: {},
  durability: 'normal',
  busyTimeoutMs: 5_000,
  clock: systemClock,
} as const satisfies Required<SqliteStoreOptions>;

export class SqliteStore implements Store {
  readonly path: string;
  /** @internal The connection, for the store's own tests: not part of the public API. */
  readonly db: Database.Database;
  private readonly ctx: SqlContext;
  readonly policy: Readonly<Required<QueuePolicy>>;
  readonly clock: Clock;
  /** One wrapper for every write: better-sqlite3 makes creating one per call costly. */
  private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private closed = false;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (typeof path !== 'string' || path === '') {
      throw new TypeError('SqliteStore: path must be a file path or ":memory:"');
    }
    for (const key of Object.keys(options)) {
      if (!(key in sqliteStoreDefaults)) throw new TypeError(`SqliteStore: unknown option '${key}'`);
    }
    const merged = { ...sqliteStoreDefaults, ...stripUndefined(options) };
    if (merged.durability !== 'normal' && merged.durability !== 'full') {
      throw new TypeError(`SqliteStore: durability must be 'normal' or 'full'`);
    }
    this.path = path;
    this.clock = checkClock(merged.clock, 'SqliteStore');
    this.policy = Object.freeze(resolveQueuePolicy(merged.policy, 'SqliteStore'));
    this.db = openQueueFile(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${merged.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(merged.busyTimeoutMs))}`);
      // 32 MB of page cache keeps the indexes of a million-task queue mostly in memory.
      this.db.pragma('cache_size = -32768');
      migrate(this.db, path);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.ctx = createSqlContext(this.db);
    this.transaction = this.db.transaction((fn: () => unknown) => fn());
  }

  /** Runs `fn` in one IMMEDIATE transaction with the clock read once. */
  private write<T>(fn: (ctx: OpContext) => T, now = this.clock.now()): T {
    this.assertOpen();
    const ctx: OpContext = { ...this.ctx, now, policy: this.policy };
    return this.transaction.immediate(() => fn(ctx)) as T;
  }

  private read<T>(fn: (ctx: SqlContext) => T): T {
    this.assertOpen();
    return fn(this.ctx);
  }

  private assertOpen(): void {
    if (this.closed) throw new BottleError('ERR_UNAVAILABLE', `the store ${this.path} is closed`);
  }

  async submit(request: SubmitRequest): Promise<SubmitResponse> {
    return this.write((ctx) => submit(ctx, request));
  }

  async claim(requests: readonly ClaimRequest[]): Promise<ClaimedTask[][]> {
    return this.write((ctx) => claim(ctx, requests));
  }

  async submitAndClaim(
    request: SubmitRequest,
    claims: readonly ClaimRequest[],
  ): Promise<SubmittedAndClaimed> {
    return this.write((ctx) => {
      const submitted = submit(ctx, request);
      const ready = submitted.created + submitted.requeued > 0 && claims.length > 0;
      return { submitted, claimed: ready ? claim(ctx, claims) : claims.map(() => []) };
    });
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.write((ctx) => heartbeat(ctx, request));
  }

  async report(workerId: string | undefined, reports: readonly Report[]): Promise<ReportResult[]> {
    return this.write((ctx) => {
      const { results, applied } = report(ctx, workerId, reports);
      recordRunTimes(ctx, reports, applied);
      saveLogs(ctx, reports, applied);
      return results;
    });
  }

  async beginUpload(key: string, leaseToken: string): Promise<{ paramsHash: string }> {
    // A write transaction, so that the clock and the row are read together like a report's check.
    return this.write((ctx) => beginUpload(ctx, key, leaseToken));
  }

  async recordUpload(key: string, leaseToken: string, bytes: number): Promise<void> {
    this.write((ctx) => recordUpload(ctx, key, leaseToken, bytes));
  }

  async cancelTask(key: string): Promise<TaskInfo> {
    return this.write((ctx) => {
      cancelTask(ctx, key);
      return getTask(ctx, key).task;
    });
  }

  async cancelScan(name: string): Promise<CountResponse> {
    return this.write((ctx) => cancelScan(ctx, name));
  }

  async rerunTask(key: string): Promise<TaskInfo> {
    return this.write((ctx) => {
      rerunTask(ctx, key);
      return getTask(ctx, key).task;
    });
  }

  async rerunScan(name: string, only: 'failed' | 'all'): Promise<CountResponse> {
    return this.write((ctx) => rerunScan(ctx, name, only));
  }

  async setScanPriority(name: string, priority: number): Promise<CountResponse> {
    return this.write((ctx) => setScanPriority(ctx, name, priority));
  }

  async queueReduce(scan: string): Promise<QueuedReduce | null> {
    return this.write((ctx) => queueReduce(ctx, scan));
  }

  async tellScanEnd(scan: string): Promise<string | null> {
    return this.write((ctx) => tellScanEnd(ctx, scan));
  }

  async listTasks(filter: ListTasksFilter): Promise<ListTasksResponse> {
    return this.read((ctx) => listTasks(ctx, filter));
  }

  async getTask(key: string): Promise<TaskDetailResponse> {
    return this.read((ctx) => getTask(ctx, key));
  }

  async getLogs(key: string, attempt?: number): Promise<TaskLogsResponse> {
    return this.read((ctx) => getLogs(ctx, key, attempt));
  }

  async resolveKey(prefix: string): Promise<string> {
    return this.read((ctx) => resolveKey(ctx, prefix));
  }

  async listScans(): Promise<ListScansResponse> {
    return this.read((ctx) => listScans(ctx, this.clock.now()));
  }

  async getScan(name: string): Promise<ScanInfo> {
    return this.read((ctx) => getScan(ctx, name, this.clock.now()));
  }

  async scanActivity(name: string): Promise<ScanActivity> {
    return this.read((ctx) => scanActivity(ctx, name));
  }

  async listWorkers(filter: { seenSince?: number } = {}): Promise<ListWorkersResponse> {
    return this.read((ctx) => listWorkers(ctx, filter.seenSince));
  }

  async expireLeases(now = this.clock.now()): Promise<ExpiryResult> {
    return this.write((ctx) => expireLeases(ctx), now);
  }

  async listOwnedJobs(): Promise<OwnedJob[]> {
    return this.read((ctx) => listOwnedJobs(ctx));
  }

  async recordOwnedJob(job: OwnedJob): Promise<void> {
    this.write((ctx) => recordOwnedJob(ctx, job));
  }

  async forgetOwnedJobs(jobIds: readonly string[]): Promise<void> {
    this.write((ctx) => forgetOwnedJobs(ctx, jobIds));
  }

  async nextReadyAt(now = this.clock.now()): Promise<number | null> {
    this.assertOpen();
    return nextReadyAt({ ...this.ctx, now, policy: this.policy });
  }

  async claimLegacy(claimant: LegacyClaimant): Promise<LegacyTask | null> {
    return this.write((ctx) => claimLegacy(ctx, claimant));
  }

  async listLegacy(which: 'queued' | 'all', limit: number): Promise<LegacyTask[]> {
    return this.read((ctx) => listLegacy(ctx, which, limit));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
