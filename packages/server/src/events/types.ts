/** The server's event log: one event per thing an operator wants to hear about. */
import type { StateCounts } from '@bottle/protocol';

export type ServerEvent =
  | { type: 'server.started'; url: string; listen: string; db: string | null }
  | { type: 'server.stopped' }
  | { type: 'scan.submitted'; scans: string[]; created: number; existing: number; requeued: number }
  | { type: 'scan.finished'; scan: string; total: number; counts: StateCounts }
  /** The scan's reduce task of its completion state was queued (in `<scan>.reduce`). */
  | { type: 'reduce.queued'; scan: string; key: string }
  | { type: 'worker.joined'; workerId: string; host: string }
  /** Not heard from for `staleWorkerMs` while it holds leases: its tasks will be handed out again. */
  | { type: 'worker.stale'; workerId: string; host: string; lastSeen: number; running: number }
  /** Not heard from for `staleWorkerMs`, holding nothing: gone. */
  | { type: 'worker.left'; workerId: string; host: string; lastSeen: number }
  | { type: 'task.failed'; key: string; workerId: string | null; retryable: boolean; error: string }
  /** Leases that ran out (the worker went silent): their tasks go back to the queue or fail. */
  | { type: 'lease.expired'; scan: string; count: number }
  /** A worker reported on or heartbeated leases that are no longer its own. */
  | { type: 'lease.lost'; workerId: string | null; keys: string[] }
  | { type: 'token.refused'; method: string; path: string; ip: string; reason: 'missing' | 'wrong' }
  /**
   * The Slurm allocator's decision (bottle-server --slurm-alloc): workers submitted (jobId) or not,
   * and why; `jobs`, its jobs' workers pending and running in Slurm's queue as it saw them then.
   */
  | {
      type: 'slurm.allocation';
      workers: number;
      reason: string;
      jobId?: string;
      jobs?: Array<{ jobId: string; pending: number; running: number }>;
    };

export type ServerEventType = ServerEvent['type'];

/** Receives every event; must not throw (an error thrown is dropped). */
export type ServerEventListener = (event: ServerEvent) => void;

/** Calls each listener, keeping a faulty one from breaking the request that emitted. */
export function eventFanOut(listeners: readonly (ServerEventListener | undefined)[]): ServerEventListener {
  const live = listeners.filter((listener): listener is ServerEventListener => listener !== undefined);
  return (event) => {
    for (const listener of live) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the queue goes on.
      }
    }
  };
}
