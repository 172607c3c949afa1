/** Alive, stale or stopped: what the last contact of a worker says about it. */
import type { ListWorkersResponse, WorkerInfo } from '@bottle/protocol';

export type WorkerState = NonNullable<WorkerInfo['state']>;

/**
 * Alive: heard from within `staleWorkerMs`. Past that, stale while it still holds leases (they will
 * expire and be handed out again), stopped once it holds none.
 */
export function workerState(
  worker: Pick<WorkerInfo, 'lastSeen' | 'running'>,
  now: number,
  staleWorkerMs: number,
): WorkerState {
  return now - worker.lastSeen <= staleWorkerMs ? 'alive' : worker.running > 0 ? 'stale' : 'stopped';
}

/** Each worker with its state (see {@link workerState}). */
export function withWorkerStates(
  response: ListWorkersResponse,
  now: number,
  staleWorkerMs: number,
): ListWorkersResponse {
  return {
    workers: response.workers.map((worker) => ({
      ...worker,
      state: workerState(worker, now, staleWorkerMs),
    })),
  };
}
