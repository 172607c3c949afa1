/**
 * The queue: a store with what makes it a live queue around it, on one clock. It owns the claims
 * waiting for work (notifier.ts), the sweep of expired leases, the progress monitor (monitor.ts) and
 * the workers' verbs that are told as events and metrics (store-events.ts). The router only mounts
 * routes over it; an embedder without HTTP can drive it alone.
 */
import type {
  ClaimedTask,
  ClaimRequest,
  CompleteReport,
  FailReport,
  HeartbeatRequest,
  HeartbeatResponse,
  Report,
  ReportResult,
  ScanWaitResponse,
  SubmitRequest,
  SubmitResponse,
} from '@bottle/protocol';
import { StoreEvents, type StoreStats } from '../events/store-events.js';
import type { ServerEventListener } from '../events/types.js';
import { type Clock, every, systemClock } from '../store/clock.js';
import type { Store } from '../store/store.js';
import { ProgressMonitor } from './monitor.js';
import { ClaimNotifier } from './notifier.js';
import { queueReducesOnEnd } from './reduce.js';
import { waitForScanEnd } from './scan-wait.js';

export interface QueueOptions {
  store: Store;
  /** The time of leases, waits, sweeps and the monitor; default the store's own, else the machine's. */
  clock?: Clock | undefined;
  /** How often expired leases are swept back into the queue (claims also sweep). */
  expiryCheckMs: number;
  /** How often the monitor reads scans and workers. */
  monitorIntervalMs?: number;
  /** A worker not heard from for this long is stale (see ProgressMonitor). */
  staleWorkerMs: number;
  /** Told of what happens: workers, submits, failures, lost and expired leases, finished scans. */
  emit: ServerEventListener;
  /** Told of each claim and each finished report, for metrics. */
  stats?: StoreStats | undefined;
  /** Told of what the queue's own timers and wake-ups could not do (a failed sweep, a failed read). */
  onError: (what: string, error: unknown) => void;
  /** Told of each sweep that expired leases. */
  onExpired?: (requeued: number, failed: number) => void;
}

export interface Queue {
  /**
   * The store itself. Submits, claims, heartbeats and reports go through the queue's own methods,
   * which also tell them as events and metrics; everything else may call the store directly.
   */
  readonly store: Store;
  readonly clock: Clock;
  readonly monitor: ProgressMonitor;
  /** How many claims are waiting for work now. */
  readonly waiting: number;
  /** Commits an already validated submit and answers the claims waiting for it. */
  submit(request: SubmitRequest): Promise<SubmitResponse>;
  /** Leases up to `request.max` tasks, waiting up to `waitMs` for some; empty on timeout, abort or close. */
  claim(request: ClaimRequest, waitMs: number, signal: AbortSignal): Promise<ClaimedTask[]>;
  /** Extends a worker's leases; a lost lease is told as an event. */
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse>;
  /**
   * Applies a batch of validated reports (one result per report, in order); a release or a retryable
   * failure makes work ready, so the waiting claims are served, and the finish listeners are told
   * which tasks a done or failed report ended.
   */
  report(workerId: string | undefined, reports: readonly Report[]): Promise<ReportResult[]>;
  /**
   * Calls `listener` with the accepted done and failed reports of each report batch (a retryable
   * failure may have put its task back in the queue: read the task to know). Returns the function
   * that stops listening. With no listener a report costs nothing more.
   */
  onFinished(listener: FinishListener): () => void;
  /** Calls `listener` with each submit once it is committed; returns the function that stops listening. */
  onSubmitted(listener: (request: SubmitRequest) => void): () => void;
  /** Work may have become ready (a release, a retry, a rerun): serves the waiting claims. */
  notify(): void;
  /**
   * The scan once it has ended (nothing queued or running), or as it is after `waitMs`, on abort or
   * on close; `ended` says which. ERR_NOT_FOUND at once for an unknown scan.
   */
  waitForScan(name: string, waitMs: number, signal: AbortSignal): Promise<ScanWaitResponse>;
  /** Stops the timers and answers every waiting claim (and scan wait) at once; the store stays open (its owner closes it). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Told the accepted done and failed reports of a batch; must not throw. */
export type FinishListener = (reports: readonly (CompleteReport | FailReport)[]) => void;

/** How often the monitor reads the scans and workers, unless told otherwise. */
export const MONITOR_INTERVAL_MS = 1_000;

export function createQueue(options: QueueOptions): Queue {
  const { store: backend, emit, stats, onError } = options;
  const clock = options.clock ?? backend.clock ?? systemClock;
  let closed = false;
  const failed = (what: string) => (error: unknown) => {
    if (!closed) onError(what, error);
  };
  const events = new StoreEvents(emit, stats);
  const notifier = new ClaimNotifier(backend, clock, failed('serving waiting claims failed'), events);
  const monitor = new ProgressMonitor({
    store: backend,
    clock,
    intervalMs: options.monitorIntervalMs ?? MONITOR_INTERVAL_MS,
    staleWorkerMs: options.staleWorkerMs,
    emit,
    onError: failed('progress read failed'),
  });
  // Work made ready through another server on the same store wakes this server's claims too.
  const stopListening = backend.onWork?.(() => notifier.notify()) ?? (() => {});
  // Leases also expire at claim time; the sweep frees them when no one claims, and wakes waiters.
  const stopSweeping = every(clock, options.expiryCheckMs, () =>
    backend.expireLeases(clock.now()).then(({ requeued, failed }) => {
      if (requeued + failed > 0) options.onExpired?.(requeued, failed);
      if (requeued > 0) notifier.notify();
    }, failed('lease expiry failed')),
  );
  // A reduce task queued at a scan's end is work like any other: waiting claims get it at once.
  const stopReducing = queueReducesOnEnd(
    monitor,
    backend,
    (scan, key) => {
      emit({ type: 'reduce.queued', scan, key });
      notifier.notify();
    },
    failed('queueing a reduce task failed'),
  );
  monitor.start();
  const finishListeners = new Set<FinishListener>();
  const submitListeners = new Set<(request: SubmitRequest) => void>();
  const submit = async (request: SubmitRequest) => {
    const result = await notifier.submit(request);
    for (const listener of submitListeners) listener(request);
    return result;
  };
  const report = async (workerId: string | undefined, reports: readonly Report[]) => {
    const results = await backend.report(workerId, reports);
    let requeued = false;
    const finished: (CompleteReport | FailReport)[] = [];
    for (let i = 0; i < results.length; i++) {
      const item = reports[i]!;
      if (!results[i]!.ok) continue;
      if (item.outcome !== 'done') requeued = true;
      if (item.outcome !== 'released' && finishListeners.size > 0) finished.push(item);
    }
    if (requeued) notifier.notify();
    events.reported(workerId, reports, results);
    if (finished.length > 0) for (const listener of finishListeners) listener(finished);
    return results;
  };
  const closing = new AbortController();

  const close = async () => {
    if (closed) return;
    closed = true;
    finishListeners.clear();
    closing.abort();
    submitListeners.clear();
    stopSweeping();
    stopListening();
    stopReducing();
    monitor.stop();
    notifier.close();
  };
  return {
    store: backend,
    clock,
    monitor,
    get waiting() {
      return notifier.waiting;
    },
    submit,
    claim: (request, waitMs, signal) => notifier.claim(request, waitMs, signal),
    async heartbeat(request) {
      const response = await backend.heartbeat(request);
      events.heartbeat(request, response);
      return response;
    },
    report,
    onFinished(listener) {
      finishListeners.add(listener);
      return () => {
        finishListeners.delete(listener);
      };
    },
    onSubmitted(listener) {
      submitListeners.add(listener);
      return () => {
        submitListeners.delete(listener);
      };
    },
    notify: () => {
      notifier.notify();
    },
    waitForScan: (name, waitMs, signal) =>
      waitForScanEnd(
        { store: backend, monitor, clock },
        name,
        waitMs,
        AbortSignal.any([signal, closing.signal]),
      ),
    close,
    [Symbol.asyncDispose]: close,
  };
}
