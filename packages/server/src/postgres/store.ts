/**
 * `PostgresStore`: the queue in PostgreSQL, for several servers on one queue. Tables live in a
 * schema of bottle's own; claims take rows with `FOR UPDATE SKIP LOCKED`; a submit on one server
 * wakes the claims waiting on every other through `LISTEN/NOTIFY` (see `onWork`).
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
import createDebug from 'debug';
import pg from 'pg';
import { type Clock, checkClock, systemClock } from '../store/clock.js';
import { DeclaredCache } from '../store/declared.js';
import { offerOf, ShapeCache } from '../store/fit.js';
import type { OwnedJob } from '../store/owned-jobs.js';
import { type QueuePolicy, resolveQueuePolicy } from '../store/policy.js';
import type { QueuedReduce } from '../store/reduce.js';
import { scanSettingsOf } from '../store/scan-settings.js';
import type {
  ExpiryResult,
  LegacyClaimant,
  ListTasksFilter,
  Store,
  SubmittedAndClaimed,
} from '../store/store.js';
import { prepareSubmit } from '../store/submit.js';
import { RunTimeCache } from '../store/time-left.js';
import { type PgContext, touchWorkers } from './_context.js';
import { isConnectionError, isRetryable, toStoreError } from './_errors.js';
import { checkSchemaName, parseDatabaseUrl } from './_url.js';
import { scanActivity } from './activity.js';
import { claim, claimLegacy } from './claim.js';
import { knownShapes } from './claim-fit.js';
import { expireLeases, nextReadyAt } from './expiry.js';
import { heartbeat } from './heartbeat.js';
import { WorkListener } from './listen.js';
import { getLogs, resolveKey, saveLogs } from './logs.js';
import { cancelScan, cancelTask, rerunScan, rerunTask, setScanPriority } from './operators.js';
import { forgetOwnedJobs, listOwnedJobs, recordOwnedJob } from './owned-jobs.js';
import { getScan, getTask, listLegacy, listScans, listTasks, listWorkers } from './queries.js';
import { queueReduce, tellScanEnd } from './reduce.js';
import { report } from './report.js';
import { migrate } from './schema.js';
import { isOneStatement, submitPrepared } from './submit.js';
import { beginUpload, recordUpload } from './upload.js';

const debug = createDebug('bottle:postgres');

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host[:port]/database[?schema=NAME]`. */
  connectionString: string;
  /** bottle's own schema, created if missing (default `bottle`, or the URL's `?schema=`). */
  schema?: string;
  /** The queue's decisions; every server on one database should be given the same. */
  policy?: Partial<QueuePolicy>;
  /** Connections in the pool. */
  poolSize?: number;
  /** How long opening a connection may take before the database counts as unreachable. */
  connectTimeoutMs?: number;
  /** The time leases, backoffs and expiry run on (tests set it); the machine's clock by default. */
  clock?: Clock;
}

export const postgresStoreDefaults = {
  schema: 'bottle',
  poolSize: 10,
  connectTimeoutMs: 5_000,
} as const satisfies Required<Omit<PostgresStoreOptions, 'connectionString' | 'policy' | 'clock'>>;

// bigint columns (epoch ms, counters) as numbers: every value bottle stores fits in 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export class PostgresStore implements Store {
  /** The URL without its password. */
  readonly url: string;
  readonly schema: string;
  readonly policy: Readonly<Required<QueuePolicy>>;
  readonly clock: Clock;
  private readonly pool: pg.Pool;
  private readonly channel: string;
  private readonly listener: WorkListener;
  private opening: Promise<void> | undefined;
  /** When each worker claiming through this store was last recorded as heard from. */
  private readonly heard = new Map<string, number>();
  private readonly runTimes = new RunTimeCache();
  private readonly shapes = new ShapeCache();
  private readonly declared = new DeclaredCache();
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('PostgresStore: options must be an object with connectionString');
    }
    const known = ['connectionString', 'policy', 'clock', ...Object.keys(postgresStoreDefaults)];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw new TypeError(`PostgresStore: unknown option '${key}'`);
    }
    for (const key of ['poolSize', 'connectTimeoutMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw new TypeError(
          `PostgresStore: option '${key}' must be a positive integer, got ${String(value)}`,
        );
      }
    }
    const parsed = parseDatabaseUrl(options.connectionString);
    this.url = parsed.shown;
    this.schema = checkSchemaName(
      options.schema ?? parsed.schema ?? postgresStoreDefaults.schema,
      parsed.shown,
    );
    this.policy = Object.freeze(resolveQueuePolicy(options.policy, 'PostgresStore'));
    this.clock = options.clock === undefined ? systemClock : checkClock(options.clock, 'PostgresStore');
    this.channel = `${this.schema}.work`;
    const config: pg.PoolConfig = {
      connectionString: parsed.connectionString,
      // Unqualified names resolve in bottle's schema only: nothing is read or made elsewhere.
      options: `-c search_path=${this.schema}`,
      connectionTimeoutMillis: options.connectTimeoutMs ?? postgresStoreDefaults.connectTimeoutMs,
      application_name: 'bottle',
      types,
    };
    this.pool = new pg.Pool({ ...config, max: options.poolSize ?? postgresStoreDefaults.poolSize });
    // An idle connection that breaks is dropped by the pool; the next query opens a fresh one.
    this.pool.on('error', (error) => debug(`idle connection to ${this.url} lost: ${error.message}`));
    this.listener = new WorkListener(config, this.channel, this.url);
  }

  /**
   * Connects and brings the schema to the latest version (once; retried after a failure).
   * Every method waits for it; call it first to learn at once that the database is unusable.
   */
  ready(): Promise<void> {
    this.opening ??= (async () => {
      const client = await this.pool.connect();
      try {
        const applied = await migrate(client, this.schema, this.url);
        if (applied > 0) debug(`${this.url}: schema ${this.schema} migrated (${applied} steps)`);
        client.release();
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
    })().catch((error: unknown) => {
      this.opening = undefined;
      throw toStoreError(error, this.url);
    });
    return this.opening;
  }

  /** Calls `listener` when any server on this database may have made work ready. */
  onWork(listener: () => void): () => void {
    return this.listener.subscribe(listener);
  }

  private async run<T>(fn: (ctx: PgContext) => Promise<T>, now = this.clock.now()): Promise<T> {
    if (this.closed) throw new BottleError('ERR_UNAVAILABLE', `the store ${this.url} is closed`);
    try {
      await this.ready();
      const ctx: PgContext = {
        db: this.pool,
        now,
        policy: this.policy,
        channel: this.channel,
        runTimes: this.runTimes,
        shapes: this.shapes,
        declared: this.declared,
        transaction: (inner) => this.inTransaction(ctx, inner),
      };
      return await fn(ctx);
    } catch (error) {
      throw toStoreError(error, this.url);
    }
  }

  /** Runs `fn` in one transaction on one connection; a broken connection leaves the pool. */
  private tx<T>(fn: (ctx: PgContext) => Promise<T>, now = this.clock.now()): Promise<T> {
    return this.run((ctx) => this.inTransaction(ctx, fn), now);
  }

  /**
   * Runs `fn` in a transaction of its own, or in `ctx`'s when it holds one. A transaction chosen as a
   * deadlock's victim (two writers meeting on the counts the triggers keep) is run again.
   */
  private async inTransaction<T>(ctx: PgContext, fn: (ctx: PgContext) => Promise<T>): Promise<T> {
    if (ctx.db !== this.pool) return fn(ctx);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const inner: PgContext = { ...ctx, db: client, transaction: (next) => next(inner) };
      let broken: Error | undefined;
      // A connection cut between two statements (the server restarted, the database was dropped)
      // is told as an 'error' event: with no listener it would end the process.
      const cut = (error: Error) => {
        broken = error;
      };
      client.on('error', cut);
      try {
        await client.query('BEGIN');
        const result = await fn(inner);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (isConnectionError(error)) broken = error as Error;
        else await client.query('ROLLBACK').catch(() => {});
        if (broken || attempt >= 3 || !isRetryable(error)) throw error;
        debug(`transaction retried after ${(error as Error).message}`);
      } finally {
        client.off('error', cut);
        client.release(broken);
      }
    }
  }

  async submit(request: SubmitRequest): Promise<SubmitResponse> {
    // Hashed before the transaction, so that a bad parameter set changes nothing.
    const tasks = prepareSubmit(request, this.policy.maxAttempts);
    const rerun = request.rerun === true;
    const settings = scanSettingsOf(request);
    // A submit of one statement skips BEGIN and COMMIT: a fresh task is claimable after one round trip.
    const within = isOneStatement(tasks, rerun) && !settings ? this.run.bind(this) : this.tx.bind(this);
    const answer = await within((ctx) => submitPrepared(ctx, tasks, rerun, settings));
    // A new shape is claimable at once from this server (others read theirs again within the second).
    if (tasks.some((task) => task.shape !== null)) this.shapes.forget();
    return answer;
  }

  async claim(requests: readonly ClaimRequest[]): Promise<ClaimedTask[][]> {
    // Each request is one SKIP LOCKED statement; once one gets less than it asked, the queue is dry
    // and the workers of the rest are only recorded as heard from.
    const answers: ClaimedTask[][] = [];
    const unserved: ClaimRequest[] = [];
    // A claim that came short leaves tasks that ask nothing dry, not the shapes another worker fits.
    const shaped = requests.some((request) => offerOf(request) !== null)
      ? (await this.run((ctx) => knownShapes(ctx))).length > 0
      : false;
    for (const request of requests) {
      if (unserved.length > 0 && !(shaped && offerOf(request) !== null)) {
        unserved.push(request);
        answers.push([]);
        continue;
      }
      const tasks = await this.run((ctx) => claim(ctx, request));
      if (tasks.length < request.max) unserved.push(request);
      answers.push(tasks);
    }
    // Waiting claims are drained many at a time: a worker heard from within the second is not written again.
    const now = this.clock.now();
    const silent = unserved
      .slice(1)
      .filter((request) => now - (this.heard.get(request.workerId) ?? 0) >= 1_000);
    for (const request of requests) this.heard.set(request.workerId, now);
    if (silent.length > 0) await this.run((ctx) => touchWorkers(ctx, silent));
    return answers;
  }

  /**
   * The submit's transaction, then the claims: each claim is one SKIP LOCKED statement of its own
   * (see `claim`), which a transaction would only lengthen.
   */
  async submitAndClaim(
    request: SubmitRequest,
    claims: readonly ClaimRequest[],
  ): Promise<SubmittedAndClaimed> {
    const submitted = await this.submit(request);
    const ready = submitted.created + submitted.requeued > 0 && claims.length > 0;
    return { submitted, claimed: ready ? await this.claim(claims) : claims.map(() => []) };
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.run((ctx) => heartbeat(ctx, request));
  }

  async report(workerId: string | undefined, reports: readonly Report[]): Promise<ReportResult[]> {
    return this.tx(async (ctx) => {
      const { results, applied } = await report(ctx, workerId, reports);
      await saveLogs(ctx, reports, applied);
      return results;
    });
  }

  async beginUpload(key: string, leaseToken: string): Promise<{ paramsHash: string }> {
    return this.run((ctx) => beginUpload(ctx, key, leaseToken));
  }

  async recordUpload(key: string, leaseToken: string, bytes: number): Promise<void> {
    return this.tx((ctx) => recordUpload(ctx, key, leaseToken, bytes));
  }

  async cancelTask(key: string): Promise<TaskInfo> {
    return this.tx(async (ctx) => {
      await cancelTask(ctx, key);
      return (await getTask(ctx, key)).task;
    });
  }

  async cancelScan(name: string): Promise<CountResponse> {
    return this.run((ctx) => cancelScan(ctx, name));
  }

  async rerunTask(key: string): Promise<TaskInfo> {
    return this.tx(async (ctx) => {
      await rerunTask(ctx, key);
      return (await getTask(ctx, key)).task;
    });
  }

  async rerunScan(name: string, only: 'failed' | 'all'): Promise<CountResponse> {
    return this.run((ctx) => rerunScan(ctx, name, only));
  }

  async setScanPriority(name: string, priority: number): Promise<CountResponse> {
    return this.run((ctx) => setScanPriority(ctx, name, priority));
  }

  async queueReduce(scan: string): Promise<QueuedReduce | null> {
    return this.tx((ctx) => queueReduce(ctx, scan));
  }

  async tellScanEnd(scan: string): Promise<string | null> {
    return this.run((ctx) => tellScanEnd(ctx, scan));
  }

  async listTasks(filter: ListTasksFilter): Promise<ListTasksResponse> {
    return this.run((ctx) => listTasks(ctx, filter));
  }

  async getTask(key: string): Promise<TaskDetailResponse> {
    return this.run((ctx) => getTask(ctx, key));
  }

  async listScans(): Promise<ListScansResponse> {
    return this.run((ctx) => listScans(ctx, ctx.now));
  }

  async getScan(name: string): Promise<ScanInfo> {
    return this.run((ctx) => getScan(ctx, name, ctx.now));
  }

  async scanActivity(name: string): Promise<ScanActivity> {
    return this.run((ctx) => scanActivity(ctx, name));
  }

  async getLogs(key: string, attempt?: number): Promise<TaskLogsResponse> {
    return this.run((ctx) => getLogs(ctx, key, attempt));
  }

  async resolveKey(prefix: string): Promise<string> {
    return this.run((ctx) => resolveKey(ctx, prefix));
  }

  async listWorkers(filter: { seenSince?: number } = {}): Promise<ListWorkersResponse> {
    return this.run((ctx) => listWorkers(ctx, filter.seenSince));
  }

  async listOwnedJobs(): Promise<OwnedJob[]> {
    return this.run((ctx) => listOwnedJobs(ctx));
  }

  async recordOwnedJob(job: OwnedJob): Promise<void> {
    await this.run((ctx) => recordOwnedJob(ctx, job));
  }

  async forgetOwnedJobs(jobIds: readonly string[]): Promise<void> {
    await this.run((ctx) => forgetOwnedJobs(ctx, jobIds));
  }

  async expireLeases(now = this.clock.now()): Promise<ExpiryResult> {
    return this.run((ctx) => expireLeases(ctx), now);
  }

  async nextReadyAt(now = this.clock.now()): Promise<number | null> {
    return this.run((ctx) => nextReadyAt(ctx), now);
  }

  async claimLegacy(claimant: LegacyClaimant): Promise<LegacyTask | null> {
    return this.run((ctx) => claimLegacy(ctx, claimant));
  }

  async listLegacy(which: 'queued' | 'all', limit: number): Promise<LegacyTask[]> {
    return this.run((ctx) => listLegacy(ctx, which, limit));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    await this.pool.end();
  }
}
