/**
 * Prometheus metrics with prom-client, in a registry of this router's own (two routers in one
 * process do not mix their figures). Counters and histograms are fed as requests and reports go
 * by; the gauges of tasks and workers are read from the shared progress snapshot at each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreStats } from '../events/store-events.js';
import type { ServerEvent } from '../events/types.js';
import type { ProgressMonitor } from '../queue/monitor.js';

export interface BottleMetrics extends StoreStats {
  readonly registry: Registry;
  /** The exposition text, after a fresh read of the progress (so events it finds are counted first). */
  scrape(): Promise<string>;
  onEvent(event: ServerEvent): void;
  /** Records one answered request; `route` is the matched route pattern. */
  request(method: string, route: string, status: number, seconds: number): void;
  claimWait(seconds: number): void;
}

/** Seconds, from 5 ms to about 9 hours: tasks last from milliseconds to days. */
const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 9 * 3600];
const MAX_TRACKED = 200_000;
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60];

export function createMetrics(monitor: ProgressMonitor): BottleMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'bottle_tasks',
    help: 'Tasks by scan and state',
    labelNames: ['scan', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const scan of (await monitor.current()).scans) {
        for (const [state, n] of Object.entries(scan.counts)) this.set({ scan: scan.name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'bottle_workers',
    help: 'Workers by state: alive, stale (silent with leases), stopped (silent, holding nothing)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const counts = { alive: 0, stale: 0, stopped: 0 };
      for (const worker of (await monitor.current()).workers) counts[worker.state ?? 'alive']++;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  const claims = new Counter({ name: 'bottle_claims_total', help: 'Tasks handed out to workers', registers });
  const completions = new Counter({
    name: 'bottle_completions_total',
    help: 'Tasks reported done',
    registers,
  });
  const failures = new Counter({
    name: 'bottle_failures_total',
    help: 'Attempts reported failed (retryable: the task goes back to the queue while attempts remain)',
    labelNames: ['retryable'] as const,
    registers,
  });
  const expiries = new Counter({
    name: 'bottle_lease_expiries_total',
    help: 'Leases that ran out (the worker went silent)',
    registers,
  });
  const claimWait = new Histogram({
    name: 'bottle_claim_wait_seconds',
    help: 'How long a claim request waited (long-poll) before it was answered',
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const taskDuration = new Histogram({
    name: 'bottle_task_duration_seconds',
    help: 'From a task being handed out to its done or failed report',
    labelNames: ['outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const requests = new Histogram({
    name: 'bottle_http_request_duration_seconds',
    help: 'HTTP requests answered by the bottle router',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  // When each leased task was handed out. Leases that expire or are cancelled leave entries behind:
  // the oldest go first past a bound.
  const handedOut = new Map<string, number>();
  for (const outcome of ['done', 'failed']) taskDuration.zero({ outcome });
  for (const retryable of ['true', 'false']) failures.inc({ retryable }, 0);
  return {
    registry,
    async scrape() {
      await monitor.refresh();
      return registry.metrics();
    },
    claimed(tasks) {
      claims.inc(tasks.length);
      const now = performance.now();
      for (const task of tasks) handedOut.set(task.key, now);
      for (const key of handedOut.keys()) {
        if (handedOut.size <= MAX_TRACKED) break;
        handedOut.delete(key);
      }
    },
    finished(key, outcome, retryable) {
      const started = handedOut.get(key);
      handedOut.delete(key);
      if (outcome === 'released') return;
      if (outcome === 'done') completions.inc();
      else failures.inc({ retryable: String(retryable) });
      if (started !== undefined) taskDuration.observe({ outcome }, (performance.now() - started) / 1000);
    },
    onEvent(event) {
      if (event.type === 'lease.expired') expiries.inc(event.count);
      if (event.type === 'lease.lost') for (const key of event.keys) handedOut.delete(key);
    },
    request(method, route, status, seconds) {
      requests.observe({ method, route, status: String(status) }, seconds);
    },
    claimWait(seconds) {
      claimWait.observe(seconds);
    },
  };
}
