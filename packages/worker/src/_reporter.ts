/**
 * Batches completions, failures and releases into `/v1/report` requests: sent when a batch fills
 * or after a short delay. While the server is unreachable, reports stay queued (in order) and are
 * retried through the next server of the list, or with backoff when all are down, so tasks that
 * finish during an outage are reported when a server comes back.
 */
import { isBottleError, type Report, type ReportResult } from '@bottle/protocol';
import { isTransient, type ServerList } from './client/server-list.js';

export interface ReporterOptions {
  workerId: string;
  batchSize: number;
  delayMs: number;
  maxBackoffMs: number;
  /** Each report's fate: the server's result, or the error that made the worker give it up. */
  onResult(report: Report, result: ReportResult): void;
  onWarn(error: unknown): void;
}

export class Reporter {
  readonly #queue: Report[] = [];
  #inFlight: Promise<void> | undefined;
  #sending = false;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = 0;
  #idle: Array<() => void> = [];

  constructor(
    private readonly servers: ServerList,
    private readonly options: ReporterOptions,
  ) {}

  get pending(): number {
    return this.#queue.length + (this.#sending ? 1 : 0);
  }

  add(report: Report): void {
    this.#queue.push(report);
    if (this.#backoffMs > 0) return;
    if (this.#queue.length >= this.options.batchSize) this.#flushSoon(0);
    else this.#flushSoon(this.options.delayMs);
  }

  /** Resolves once every queued report has been sent (or given up). */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Sends what is queued now, once, with no retry; what fails stays unreported. */
  async flushOnce(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    this.#backoffMs = 0;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.options.batchSize);
      const client = this.servers.current;
      try {
        this.#deliver(batch, await client.report(this.options.workerId, batch));
      } catch (error) {
        this.servers.failed(client, error);
        this.options.onWarn(error);
        this.#giveUp(batch, error);
      }
    }
    this.#notifyIdle();
  }

  /** Forgets the timer (the worker is closing). */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flushSoon(delayMs: number): void {
    if (this.#sending) return;
    if (this.#timer && delayMs > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#flush();
    }, delayMs);
  }

  async #flush(): Promise<void> {
    this.#sending = true;
    const batch = this.#queue.splice(0, this.options.batchSize);
    const client = this.servers.current;
    try {
      if (batch.length > 0) this.#deliver(batch, await client.report(this.options.workerId, batch));
      this.servers.succeeded(client);
      this.#backoffMs = 0;
    } catch (error) {
      this.options.onWarn(error);
      if (isTransient(error)) {
        // Kept in order for the next server, or for this one when every server is down.
        this.#queue.unshift(...batch);
        this.#backoffMs = this.servers.failed(client, error)
          ? 0
          : Math.min(Math.max(this.#backoffMs * 2, 100), this.options.maxBackoffMs);
      } else this.#giveUp(batch, error);
    } finally {
      this.#sending = false;
    }
    if (this.#queue.length > 0) this.#flushSoon(this.#backoffMs);
    else this.#notifyIdle();
  }

  #deliver(batch: Report[], answer: { results: ReportResult[] }): void {
    const byKey = new Map(answer.results.map((result) => [result.key, result]));
    for (const report of batch) {
      this.options.onResult(
        report,
        byKey.get(report.key) ?? {
          key: report.key,
          ok: false,
          error: { code: 'ERR_INTERNAL', message: 'the server sent no result for this report' },
        },
      );
    }
  }

  #giveUp(batch: Report[], error: unknown): void {
    const code = isBottleError(error) ? error.code : 'ERR_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    for (const report of batch)
      this.options.onResult(report, { key: report.key, ok: false, error: { code, message } });
  }

  #notifyIdle(): void {
    if (this.pending > 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
