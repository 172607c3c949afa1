/**
 * `ProgressMonitor`: one cheap read of the scans and workers every `intervalMs`, shared by everyone
 * who watches (the event log, the dashboards' event streams, the metrics), so that their cost does
 * not grow with their number. It turns changes between two reads into events: a scan finished,
 * leases expired, a worker went stale or left.
 */
import { type ScanInfo, scanEnded, type WorkerInfo } from '@bottle/protocol';
import type { ServerEventListener } from '../events/types.js';
import { withWorkerStates } from '../events/worker-state.js';
import { type Clock, every } from '../store/clock.js';
import type { Store } from '../store/store.js';
import { type AllocationEvent, type AllocationSnapshot, allocationSnapshot } from './allocation.js';

export interface ProgressSnapshot {
  at: number;
  scans: ScanInfo[];
  workers: WorkerInfo[];
  /** The Slurm allocator's jobs and last decision, once it has told one (`bottle-server --slurm-alloc`). */
  allocation?: AllocationSnapshot;
}

export interface ProgressMonitorOptions {
  store: Store;
  clock: Clock;
  intervalMs: number;
  staleWorkerMs: number;
  emit: ServerEventListener;
  /** Told when a read fails (the store closed, a disk error); the monitor keeps trying. */
  onError: (error: unknown) => void;
}

export class ProgressMonitor {
  #options: ProgressMonitorOptions;
  #stopTimer: (() => void) | undefined;
  #latest: ProgressSnapshot | undefined;
  #reading: Promise<ProgressSnapshot> | undefined;
  #listeners = new Set<(snapshot: ProgressSnapshot) => void>();
  #finished = new Map<string, boolean>();
  #lost = new Map<string, number>();
  #workerStates = new Map<string, string>();
  #allocation: { event: AllocationEvent; at: number } | undefined;

  constructor(options: ProgressMonitorOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#stopTimer) return;
    const { clock, intervalMs } = this.#options;
    this.#stopTimer = every(clock, intervalMs, () => this.refresh().catch(() => {}));
    this.refresh().catch(() => {});
  }

  stop(): void {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
    this.#listeners.clear();
  }

  /** The latest snapshot, read now if there is none yet. */
  async current(): Promise<ProgressSnapshot> {
    return this.#latest ?? this.refresh();
  }

  /** Calls `listener` with each new snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: ProgressSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Keeps the Slurm allocator's last decision: the next snapshots show it, with its jobs. */
  noteAllocation(event: AllocationEvent): void {
    this.#allocation = { event, at: this.#options.clock.now() };
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  /** Reads once (a read already under way is shared), compares, and tells the subscribers. */
  refresh(): Promise<ProgressSnapshot> {
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<ProgressSnapshot> {
    const { store } = this.#options;
    let snapshot: ProgressSnapshot;
    try {
      const allocation = this.#allocation;
      const [{ scans }, workers, owned] = await Promise.all([
        store.listScans(),
        store.listWorkers(),
        // Read only where an allocator runs: a server without one never touches the table.
        allocation ? store.listOwnedJobs() : undefined,
      ]);
      const at = this.#options.clock.now();
      snapshot = { at, scans, workers: withWorkerStates(workers, at, this.#options.staleWorkerMs).workers };
      if (allocation && owned)
        snapshot.allocation = allocationSnapshot(owned, allocation.event, allocation.at);
    } catch (error) {
      this.#options.onError(error);
      throw error;
    }
    const first = this.#latest === undefined;
    this.#latest = snapshot;
    this.#compare(snapshot, first);
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  /** On the first read, only remembers: what was already so before the server started is no news. */
  #compare(snapshot: ProgressSnapshot, first: boolean): void {
    const { emit } = this.#options;
    for (const scan of snapshot.scans) {
      const finished = scan.total > 0 && scanEnded(scan);
      // A scan new since the last read started unfinished, whatever it is now.
      const was = this.#finished.get(scan.name) ?? (first ? undefined : false);
      if (!first && finished && was === false) {
        emit({ type: 'scan.finished', scan: scan.name, total: scan.total, counts: scan.counts });
      }
      this.#finished.set(scan.name, finished);
      const lost = this.#lost.get(scan.name) ?? (first ? undefined : 0);
      if (!first && lost !== undefined && scan.lostAttempts > lost) {
        emit({ type: 'lease.expired', scan: scan.name, count: scan.lostAttempts - lost });
      }
      this.#lost.set(scan.name, scan.lostAttempts);
    }
    for (const worker of snapshot.workers) {
      const was = this.#workerStates.get(worker.workerId);
      this.#workerStates.set(worker.workerId, worker.state ?? 'alive');
      if (first || was === worker.state) continue;
      const { workerId, host, lastSeen, running } = worker;
      if (worker.state === 'stale') emit({ type: 'worker.stale', workerId, host, lastSeen, running });
      // A worker first met already gone is no news either.
      if (worker.state === 'stopped' && was !== undefined)
        emit({ type: 'worker.left', workerId, host, lastSeen });
    }
  }
}
