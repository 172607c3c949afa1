/**
 * `BottleClient`: one typed method per `/v1` route, over got with a keep-alive agent, timeouts and
 * retries (network errors and 5xx, never 4xx); the submit, the claim and the report go on node's own
 * `http.request` with the same agent, timeouts and retries (_post-json.ts). Every answer is checked
 * against the protocol schemas.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  assertParams,
  BottleError,
  type ClaimRequest,
  type ClaimResponse,
  type CountResponse,
  claimResponseSchema,
  countResponseSchema,
  formatPath,
  type HealthResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  healthResponseSchema,
  heartbeatResponseSchema,
  isBottleError,
  isClaimResponse,
  isReportResponse,
  type JsonValue,
  type ListOutputsResponse,
  type ListScansResponse,
  type ListTasksQuery,
  type ListTasksResponse,
  type ListWorkersResponse,
  listOutputsResponseSchema,
  listScansResponseSchema,
  listTasksResponseSchema,
  listWorkersResponseSchema,
  type Objective,
  type OutputFilesResponse,
  outputFilesResponseSchema,
  type Report,
  type ReportResponse,
  type RerunScanRequest,
  redactUrl,
  reportResponseSchema,
  type ScanFinishEvent,
  type ScanInfo,
  type ScanWaitResponse,
  type SubmitAllOptions,
  type SubmitAllResult,
  type SubmitResponse,
  scanFinishEventSchema,
  scanInfoSchema,
  scanWaitResponseSchema,
  submitInChunks,
  submitResponseSchema,
  type TaskDetailResponse,
  type TaskInfo,
  type TaskLogsResponse,
  type TaskSpec,
  taskDetailResponseSchema,
  taskInfoSchema,
  taskLogsResponseSchema,
  type UploadResponse,
  uploadResponseSchema,
} from '@bottle/protocol';
import got, { type Got, type Method } from 'got';
import { toBottleError } from './_http-errors.js';
import { encodePath, openStream, streamToFile } from './_output-requests.js';
import { type PostOptions, type PostTarget, postJson } from './_post-json.js';
import { readSse } from './_sse.js';

/** What `GET /v1/scans/:name/events` tells: the stream follows now, or a task of the scan finished. */
export type ScanEvent = { type: 'ready' } | { type: 'finish'; finish: ScanFinishEvent };

/** The server writes a comment every 25 s on an idle event stream; silence this long is a dead link. */
const EVENT_STREAM_IDLE_MS = 60_000;

/** The part of a zod schema the client uses (keeps zod out of this package's dependencies). */
interface Schema<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

/** Options of {@link BottleClient}. */
export interface BottleClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:1988` (a path prefix is kept: `http://h/bottle`). */
  server: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Per-request timeout in ms (a claim's long-poll wait is added to it). */
  timeoutMs?: number;
  /** Retries after a network error or a 5xx answer. */
  retries?: number;
  /** First retry delay in ms; doubles each retry up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** The defaults of {@link BottleClientOptions}. */
export const clientDefaults = {
  timeoutMs: 30_000,
  retries: 2,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
} satisfies Partial<BottleClientOptions>;

/** The longest one long poll of {@link BottleClient.waitForScan} asks for (below the server's cap). */
const SCAN_WAIT_POLL_MS = 30_000;

interface RequestOptions<T> {
  schema: Schema<T>;
  json?: unknown;
  /** A stream body (an upload): sent once, no retry, an inactivity timeout instead of a total one. */
  upload?: { body: Readable; contentType: string };
  searchParams?: Record<string, string | number | boolean>;
  signal?: AbortSignal | undefined;
  extraTimeoutMs?: number;
  /** A JSON POST every task passes through (submit, claim, report): sent without got (_post-json.ts). */
  hot?: boolean;
}

/** A typed client of the bottle server's `/v1` API. Errors are {@link BottleError}s. */
export class BottleClient {
  /** The server URL without credentials (safe to print). */
  readonly url: string;
  readonly #got: Got;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };
  readonly #headers: Record<string, string>;
  readonly #retries: Pick<PostOptions, 'retries' | 'retryDelay'>;

  constructor(options: BottleClientOptions | string) {
    const o = { ...clientDefaults, ...(typeof options === 'string' ? { server: options } : options) };
    let base: URL;
    try {
      base = new URL(o.server);
    } catch (cause) {
      throw new BottleError(
        'ERR_USAGE',
        `"${redactUrl(o.server)}" is not a URL; write e.g. http://127.0.0.1:1988`,
        {
          cause,
        },
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new BottleError('ERR_USAGE', `the server URL must start with http:// or https://`);
    }
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    else if (base.username || base.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    }
    base.username = '';
    base.password = '';
    this.#base = base.href.replace(/\/+$/, '');
    this.url = redactUrl(this.#base);
    this.#timeoutMs = o.timeoutMs;
    this.#agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    };
    const { retryDelayMs, maxRetryDelayMs } = o;
    const retryDelay = (attempt: number) =>
      Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs) * (0.75 + Math.random() / 2);
    this.#headers = headers;
    this.#retries = { retries: o.retries, retryDelay };
    this.#got = got.extend({
      prefixUrl: this.#base,
      headers,
      agent: this.#agents,
      responseType: 'text',
      throwHttpErrors: true,
      // The server answers uncompressed JSON: no Accept-Encoding, no decompressing stream per answer.
      decompress: false,
      retry: {
        limit: o.retries,
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        statusCodes: [500, 502, 503, 504],
        enforceRetryRules: true,
        calculateDelay: ({ attemptCount }) => retryDelay(attemptCount),
      },
    });
  }

  /** Submits tasks (idempotent by task key); at most 50,000 per call — see {@link submitAll} for more. */
  async submit(
    tasks: TaskSpec[],
    options: {
      scan?: string;
      rerun?: boolean;
      priority?: number;
      reduce?: string;
      objective?: Objective;
    } = {},
  ): Promise<SubmitResponse> {
    // Before anything is sent: JSON would turn undefined, NaN or a function into something else silently.
    for (let i = 0; i < tasks.length; i++) assertParams(tasks[i]?.params, `tasks[${i}].params`);
    return this.#request('POST', 'v1/tasks', {
      schema: submitResponseSchema,
      json: { tasks, ...options },
      hot: true,
    });
  }

  /** Streams a sweep of any size (iterable or async iterable) to the server in chunks. */
  submitAll(
    specs: Iterable<TaskSpec> | AsyncIterable<TaskSpec>,
    options: SubmitAllOptions = {},
  ): Promise<SubmitAllResult> {
    return submitInChunks(specs, (tasks, flags) => this.submit(tasks, flags), options);
  }

  /** Leases up to `max` queued tasks; waits up to `waitMs` for one. Abort with `signal` to cancel the wait. */
  claim(request: ClaimRequest, options: { signal?: AbortSignal } = {}): Promise<ClaimResponse> {
    return this.#request('POST', 'v1/claim', {
      schema: quickClaimResponse,
      json: request,
      signal: options.signal,
      extraTimeoutMs: request.waitMs,
      hot: true,
    });
  }

  /** Extends the leases a worker holds; says which were cancelled or lost. */
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.#request('POST', 'v1/heartbeat', { schema: heartbeatResponseSchema, json: request });
  }

  /** Completes, fails or releases many leased tasks in one request; one result per report. */
  report(workerId: string, reports: Report[]): Promise<ReportResponse> {
    return this.#request('POST', 'v1/report', {
      schema: quickReportResponse,
      json: { workerId, reports },
      hot: true,
    });
  }

  /** Completes one leased task with its result. */
  complete(key: string, leaseToken: string, result?: JsonValue, workerId?: string): Promise<unknown> {
    return this.#single(key, 'complete', { leaseToken, result, workerId });
  }

  /** Fails one leased task; `retryable` requeues it until its attempts run out. */
  fail(
    key: string,
    leaseToken: string,
    error: string,
    retryable: boolean,
    workerId?: string,
  ): Promise<unknown> {
    return this.#single(key, 'fail', { leaseToken, error, retryable, workerId });
  }

  /** Gives a leased task back to the queue at once, without counting a failure. */
  release(key: string, leaseToken: string, workerId?: string): Promise<unknown> {
    return this.#single(key, 'release', { leaseToken, workerId });
  }

  /** One page of tasks; pass the answer's `nextCursor` as `cursor` for the next. */
  listTasks(query: ListTasksQuery = {}): Promise<ListTasksResponse> {
    return this.#request('GET', 'v1/tasks', {
      schema: listTasksResponseSchema,
      searchParams: definedOnly(query) as Record<string, string | number>,
    });
  }

  /** Every task matching `query`, page after page. */
  async *iterateTasks(query: Omit<ListTasksQuery, 'cursor'> = {}): AsyncGenerator<TaskInfo> {
    let cursor: string | undefined;
    do {
      const page = await this.listTasks({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.tasks;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** One task with its history of attempts. */
  getTask(key: string): Promise<TaskDetailResponse> {
    return this.#request('GET', `v1/tasks/${encodeURIComponent(key)}`, { schema: taskDetailResponseSchema });
  }

  /** The log tails of one attempt of a task (the latest by default); `key` may be a unique prefix. */
  getLogs(key: string, attempt?: number): Promise<TaskLogsResponse> {
    const query = attempt === undefined ? '' : `?attempt=${attempt}`;
    return this.#request('GET', `v1/tasks/${encodeURIComponent(key)}/logs${query}`, {
      schema: taskLogsResponseSchema,
    });
  }

  listScans(): Promise<ListScansResponse> {
    return this.#request('GET', 'v1/scans', { schema: listScansResponseSchema });
  }

  getScan(name: string): Promise<ScanInfo> {
    return this.#request('GET', `v1/scans/${encodeURIComponent(name)}`, { schema: scanInfoSchema });
  }

  /**
   * Follows a scan's finished tasks (`GET /v1/scans/:name/events`): yields `ready` once the server
   * follows (no finish after it is missed), then each of the scan's tasks that a report ended as done
   * or failed for good.
   * Ends when the server closes the stream; throws when the link breaks. Abort with `signal` to stop.
   */
  async *scanEvents(name: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ScanEvent> {
    const path = `v1/scans/${encodeURIComponent(name)}/events`;
    const url = redactUrl(`${this.#base}/${path}`);
    const body = await openStream(this.#got, path, url, this.#timeoutMs, {
      idleMs: EVENT_STREAM_IDLE_MS,
      signal: options.signal,
    });
    try {
      for await (const message of readSse(body)) {
        if (message.event === 'ready') yield { type: 'ready' };
        else if (message.event === 'finish') {
          const parsed = scanFinishEventSchema.safeParse(JSON.parse(message.data));
          if (!parsed.success)
            throw new BottleError(
              'ERR_HTTP',
              `GET ${url} sent a finish event that does not match the protocol`,
            );
          yield { type: 'finish', finish: parsed.data };
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw isBottleError(error) ? error : toBottleError(error, 'GET', url, EVENT_STREAM_IDLE_MS);
    } finally {
      body.destroy();
    }
  }

  /**
   * Resolves once the scan has ended (none of its tasks queued or running), through long polls of
   * `GET /v1/scans/:name/wait`; with `timeoutMs`, resolves by then with `ended: false`. Rejects with
   * ERR_NOT_FOUND for an unknown scan; `signal` aborts the wait.
   */
  async waitForScan(
    name: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ScanWaitResponse> {
    const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    for (;;) {
      const waitMs = Math.max(0, Math.min(SCAN_WAIT_POLL_MS, deadline - Date.now()));
      const answer = await this.#request('GET', `v1/scans/${encodeURIComponent(name)}/wait`, {
        schema: scanWaitResponseSchema,
        searchParams: { waitMs },
        signal: options.signal,
        extraTimeoutMs: waitMs,
      });
      if (answer.ended || Date.now() >= deadline) return answer;
    }
  }

  listWorkers(): Promise<ListWorkersResponse> {
    return this.#request('GET', 'v1/workers', { schema: listWorkersResponseSchema });
  }

  /** Cancels one task (a running one is stopped at its worker's next heartbeat). */
  cancelTask(key: string): Promise<TaskInfo> {
    return this.#request('POST', `v1/tasks/${encodeURIComponent(key)}/cancel`, {
      schema: taskInfoSchema,
      json: {},
    });
  }

  /** Cancels every unfinished task of a scan; answers how many. */
  cancelScan(name: string): Promise<CountResponse> {
    return this.#request('POST', `v1/scans/${encodeURIComponent(name)}/cancel`, {
      schema: countResponseSchema,
      json: {},
    });
  }

  /**
   * Sets the priority of every unfinished task of a scan (higher is handed out first), also while it
   * runs; answers how many tasks it set.
   */
  setScanPriority(name: string, priority: number): Promise<CountResponse> {
    return this.#request('POST', `v1/scans/${encodeURIComponent(name)}/priority`, {
      schema: countResponseSchema,
      json: { priority },
    });
  }

  /** Puts one finished task back in the queue. */
  rerunTask(key: string): Promise<TaskInfo> {
    return this.#request('POST', `v1/tasks/${encodeURIComponent(key)}/rerun`, {
      schema: taskInfoSchema,
      json: {},
    });
  }

  /** Requeues a scan's failed (and cancelled) tasks, or with `only: 'all'` every finished one. */
  rerunScan(name: string, request: RerunScanRequest = {}): Promise<CountResponse> {
    return this.#request('POST', `v1/scans/${encodeURIComponent(name)}/rerun`, {
      schema: countResponseSchema,
      json: request,
    });
  }

  /**
   * Streams a task's output archive (from `packOutput`) under its lease: `PUT /v1/tasks/:key/output`.
   * Answers what the server read; not retried (a stream is sent once; `uploadTaskOutput` retries).
   */
  uploadOutput(
    key: string,
    leaseToken: string,
    archive: Readable,
    options: { signal?: AbortSignal } = {},
  ): Promise<UploadResponse> {
    return this.#request('PUT', `v1/tasks/${encodeURIComponent(key)}/output`, {
      schema: uploadResponseSchema,
      upload: { body: archive, contentType: 'application/x-tar' },
      searchParams: { leaseToken },
      signal: options.signal,
    });
  }

  /** The parameter hashes with a gathered output (of one scan), on a server started with `--gather`. */
  listOutputs(query: { scan?: string } = {}): Promise<ListOutputsResponse> {
    return this.#request('GET', 'v1/outputs', {
      schema: listOutputsResponseSchema,
      ...(query.scan ? { searchParams: { scan: query.scan } } : {}),
    });
  }

  /** The files of one gathered output, with sizes and SHA-256. */
  listOutputFiles(paramsHash: string): Promise<OutputFilesResponse> {
    return this.#request('GET', `v1/outputs/${encodeURIComponent(paramsHash)}/files`, {
      schema: outputFilesResponseSchema,
    });
  }

  /** One file of a gathered output, as a stream (rejects with ERR_NOT_FOUND before any byte if absent). */
  openOutputFile(paramsHash: string, path: string): Promise<Readable> {
    const relative = `v1/outputs/${encodeURIComponent(paramsHash)}/files/${encodePath(path)}`;
    return openStream(this.#got, relative, redactUrl(`${this.#base}/${relative}`), this.#timeoutMs);
  }

  /** Downloads one file of a gathered output to `dest` (written under a temporary name, then renamed). */
  async downloadOutputFile(paramsHash: string, path: string, dest: string): Promise<{ bytes: number }> {
    return streamToFile(await this.openOutputFile(paramsHash, path), dest);
  }

  /** The server's liveness and version. */
  health(): Promise<HealthResponse> {
    return this.#request('GET', 'healthz', { schema: healthResponseSchema });
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** `await using client = new BottleClient(url)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #single(
    key: string,
    verb: 'complete' | 'fail' | 'release',
    body: Record<string, unknown>,
  ): Promise<unknown> {
    const json = definedOnly(body);
    return this.#request('POST', `v1/tasks/${encodeURIComponent(key)}/${verb}`, { schema: anySchema, json });
  }

  async #request<T>(method: Method, path: string, options: RequestOptions<T>): Promise<T> {
    const url = `${this.#base}/${path}`;
    const timeoutMs = this.#timeoutMs + (options.extraTimeoutMs ?? 0);
    let body: string;
    try {
      body = options.hot
        ? await this.#post(url, options.json, timeoutMs, options.signal)
        : await this.#gotBody(method, path, options, timeoutMs);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw toBottleError(error, method, redactUrl(url), timeoutMs);
    }
    let value: unknown;
    try {
      value = body === '' ? undefined : JSON.parse(body);
    } catch (cause) {
      throw new BottleError('ERR_HTTP', `${method} ${redactUrl(url)} answered with a body that is not JSON`, {
        cause,
      });
    }
    const parsed = options.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BottleError(
        'ERR_HTTP',
        `${method} ${redactUrl(url)} answered with a body that does not match the protocol (${formatPath('', issue?.path ?? []) || 'body'}: ${issue?.message}); is the server the same bottle version?`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  async #gotBody<T>(
    method: Method,
    path: string,
    options: RequestOptions<T>,
    timeoutMs: number,
  ): Promise<string> {
    const response = await this.#got(path, {
      method,
      ...(options.json === undefined ? {} : { json: options.json }),
      ...(options.searchParams ? { searchParams: options.searchParams } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.upload
        ? {
            body: options.upload.body,
            headers: { 'content-type': options.upload.contentType },
            retry: { limit: 0 },
            // A large upload takes as long as it takes; what must not happen is a silent stall.
            timeout: { connect: timeoutMs, socket: timeoutMs },
          }
        : { timeout: { request: timeoutMs } }),
    });
    return response.body;
  }

  #post(url: string, json: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
    const target: PostTarget = { url, agents: this.#agents, headers: this.#headers };
    return postJson(target, JSON.stringify(json), { timeoutMs, signal, ...this.#retries });
  }
}

/**
 * A claim's answer carries every task's parameters: a plain loop checks it, and zod only parses an
 * answer the loop refuses, to name what is wrong. Fields a newer server adds stay on the answer.
 */
const quickClaimResponse: Schema<ClaimResponse> = {
  safeParse: (value) =>
    isClaimResponse(value) ? { success: true, data: value } : claimResponseSchema.safeParse(value),
};

const quickReportResponse: Schema<ReportResponse> = {
  safeParse: (value) =>
    isReportResponse(value) ? { success: true, data: value } : reportResponseSchema.safeParse(value),
};

const anySchema = {
  safeParse: (value: unknown) => ({ success: true, data: value }),
} as unknown as Schema<unknown>;

function definedOnly<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
