/**
 * `ProgressMonitor`: one cheap read of the scans and workers every `intervalMs`, shared by everyone
 * who watches (the event log, the dashboards' event streams, the metrics), so that their cost does
 * not grow with their number. It turns changes between two reads into events: a scan finished,
 * leases expired, a worker went stale or left. Workers are read incrementally: after the first read,
 * only those heard from since the last one and those holding leases, so that 10^4 idle long-polling
 * workers cost a few comparisons per tick, not a read of 10^4 rows and a new list.
 */
import { type ScanInfo, scanEnded, type WorkerInfo } from '@bottle/protocol';
import type { ServerEventListener } from '../events/types.js';
import { type WorkerState, workerState } from '../events/worker-state.js';
import { type Clock, every } from '../store/clock.js';
import type { OwnedJob } from '../store/owned-jobs.js';
import type { Store } from '../store/store.js';
import { type AllocationEvent, type AllocationSnapshot, allocationSnapshot } from './allocation.js';

export interface ProgressSnapshot {
  at: number;
  scans: ScanInfo[];
  workers: WorkerInfo[];
  /** The Slurm allocator's jobs and last decision, once it has told one (`bottle-server --slurm-alloc`). */
  allocation?: AllocationSnapshot;
}

/**
 * How far back of the last read the next one looks for workers heard from: a contact recorded with
 * an earlier time but committed after that read (another server on the same PostgreSQL, whose
 * transactions last milliseconds) is not missed. Not more: each worker heard from within the margin
 * is read again at every tick.
 */
const SEEN_MARGIN_MS = 1_000;

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
  #allocation: { event: AllocationEvent; at: number } | undefined;
  /** Every worker as last read (without its state), and which of them held leases then. */
  #workers = new Map<string, WorkerInfo>();
  #holding = new Set<string>();
  #workerStates = new Map<string, WorkerState>();
  /** The workers with their states, last heard from first: rebuilt only when one changed. */
  #workerList: WorkerInfo[] = [];

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
    const first = this.#latest === undefined;
    const filter = first ? {} : { seenSince: this.#latest!.at - SEEN_MARGIN_MS };
    let scans: ScanInfo[];
    let changed: WorkerInfo[];
    let at: number;
    let allocationNow: AllocationSnapshot | undefined;
    try {
      const allocation = this.#allocation;
      let owned: OwnedJob[] | undefined;
      [{ scans }, { workers: changed }, owned] = await Promise.all([
        store.listScans(),
        store.listWorkers(filter),
        // Read only where an allocator runs: a server without one never touches the table.
        allocation ? store.listOwnedJobs() : undefined,
      ]);
      at = this.#options.clock.now();
      if (allocation && owned) allocationNow = allocationSnapshot(owned, allocation.event, allocation.at);
    } catch (error) {
      this.#options.onError(error);
      throw error;
    }
    const snapshot: ProgressSnapshot = { at, scans, workers: this.#updateWorkers(changed, at, first) };
    if (allocationNow) snapshot.allocation = allocationNow;
    this.#latest = snapshot;
    this.#compareScans(snapshot, first);
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  /**
   * Merges the workers read (all of them on the first read), tells who went stale or left, and
   * returns the list with states: the same list as before when no worker changed.
   */
  #updateWorkers(read: readonly WorkerInfo[], at: number, first: boolean): WorkerInfo[] {
    let dirty = first;
    const stillHolding = new Set<string>();
    for (const worker of read) {
      const known = this.#workers.get(worker.workerId);
      if (worker.running > 0) stillHolding.add(worker.workerId);
      if (known?.lastSeen === worker.lastSeen && known.running === worker.running) continue;
      this.#workers.set(worker.workerId, worker);
      dirty = true;
    }
    // Every worker holding a lease was read: one that held some at the last read and was not, holds none.
    for (const id of this.#holding) {
      const known = this.#workers.get(id);
      if (stillHolding.has(id) || known === undefined) continue;
      this.#workers.set(id, { ...known, running: 0 });
      dirty = true;
    }
    this.#holding = stillHolding;
    const { emit, staleWorkerMs } = this.#options;
    for (const worker of this.#workers.values()) {
      const state = workerState(worker, at, staleWorkerMs);
      const was = this.#workerStates.get(worker.workerId);
      if (was === state) continue;
      this.#workerStates.set(worker.workerId, state);
      dirty = true;
      if (first) continue;
      const { workerId, host, lastSeen, running } = worker;
      if (state === 'stale') emit({ type: 'worker.stale', workerId, host, lastSeen, running });
      // A worker first met already gone is no news either.
      if (state === 'stopped' && was !== undefined) emit({ type: 'worker.left', workerId, host, lastSeen });
    }
    if (dirty) {
      this.#workerList = [...this.#workers.values()]
        .sort((a, b) => b.lastSeen - a.lastSeen)
        .map((worker) => ({ ...worker, state: this.#workerStates.get(worker.workerId) }));
    }
    return this.#workerList;
  }

  /** On the first read, only remembers: what was already so before the server started is no news. */
  #compareScans(snapshot: ProgressSnapshot, first: boolean): void {
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
  }
}
