/**
 * What the queue tells after each store call it makes on behalf of workers: workers seen for the
 * first time, submissions, failures and lost leases, as events; claims and finished reports, as
 * metrics. The queue calls these at its few call sites (submit, claim, heartbeat, report), so that
 * nothing stands between a route and the store on the hot path, and the statements of the store
 * stay as they are.
 */
import type {
  ClaimedTask,
  ClaimRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  Report,
  ReportResult,
  SubmitRequest,
  SubmitResponse,
} from '@bottle/protocol';
import type { ServerEventListener } from './types.js';

/** What the store's events tell the metrics, beside the events. */
export interface StoreStats {
  claimed(tasks: readonly { key: string }[]): void;
  finished(key: string, outcome: 'done' | 'failed' | 'released', retryable: boolean): void;
}

export class StoreEvents {
  readonly #known = new Set<string>();

  constructor(
    private readonly emit: ServerEventListener,
    private readonly stats?: StoreStats | undefined,
  ) {}

  submitted(request: SubmitRequest, result: SubmitResponse): void {
    const scans = new Set<string>();
    for (const task of request.tasks) scans.add(task.scan ?? request.scan ?? 'default');
    this.emit({ type: 'scan.submitted', scans: [...scans], ...result });
  }

  /** Before the claims are served: a worker is told as joined before anything it does. */
  claiming(requests: readonly ClaimRequest[]): void {
    for (const request of requests) this.#seen(request.workerId, request.host);
  }

  claimed(answers: readonly ClaimedTask[][]): void {
    if (!this.stats) return;
    for (const tasks of answers) if (tasks.length > 0) this.stats.claimed(tasks);
  }

  heartbeat(request: HeartbeatRequest, response: HeartbeatResponse): void {
    this.#seen(request.workerId, request.host);
    if (response.lost.length > 0)
      this.emit({ type: 'lease.lost', workerId: request.workerId, keys: response.lost });
  }

  reported(workerId: string | undefined, reports: readonly Report[], results: readonly ReportResult[]): void {
    this.#seen(workerId, undefined);
    const lost: string[] = [];
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const item = reports[i];
      if (!item) continue;
      if (!result.ok) {
        if (result.error.code === 'ERR_STALE_LEASE') lost.push(result.key);
        continue;
      }
      this.stats?.finished(item.key, item.outcome, item.outcome === 'failed' && item.retryable);
      if (item.outcome === 'failed') {
        const { key, retryable, error } = item;
        this.emit({
          type: 'task.failed',
          key,
          workerId: workerId ?? null,
          retryable,
          error: error.slice(0, 500),
        });
      }
    }
    if (lost.length > 0) this.emit({ type: 'lease.lost', workerId: workerId ?? null, keys: lost });
  }

  #seen(workerId: string | undefined, host: string | undefined): void {
    if (workerId === undefined || this.#known.has(workerId)) return;
    this.#known.add(workerId);
    this.emit({ type: 'worker.joined', workerId, host: host ?? '' });
  }
}
