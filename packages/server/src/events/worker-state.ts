/** Alive, stale or stopped: what the last contact of a worker says about it. */
import type { ListWorkersResponse } from '@bottle/protocol';

/**
 * Alive: heard from within `staleWorkerMs`. Past that, stale while it still holds leases (they will
 * expire and be handed out again), stopped once it holds none.
 */
export function withWorkerStates(
  response: ListWorkersResponse,
  now: number,
  staleWorkerMs: number,
): ListWorkersResponse {
  return {
    workers: response.workers.map((worker) => ({
      ...worker,
      state: now - worker.lastSeen <= staleWorkerMs ? 'alive' : worker.running > 0 ? 'stale' : 'stopped',
    })),
  };
}
