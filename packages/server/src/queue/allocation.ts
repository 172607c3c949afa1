/**
 * What the dashboard shows of the Slurm allocator (`bottle-server --slurm-alloc`): the jobs it owns,
 * as the store records them, with their workers pending and running as its last decision saw them
 * in Slurm's queue, and that decision. A server without an allocator has none of this.
 */
import type { ServerEvent } from '../events/types.js';
import type { OwnedJob } from '../store/owned-jobs.js';

export type AllocationEvent = Extract<ServerEvent, { type: 'slurm.allocation' }>;

export interface AllocationSnapshot {
  /** The owned jobs, the newest first. */
  jobs: Array<OwnedJob & { pending: number; running: number }>;
  /** The allocator's last decision; `at` is when the server heard it (epoch ms). */
  decision: { at: number; workers: number; reason: string; jobId?: string };
}

export function allocationSnapshot(
  owned: readonly OwnedJob[],
  event: AllocationEvent,
  at: number,
): AllocationSnapshot {
  const seen = new Map((event.jobs ?? []).map((job) => [job.jobId, job]));
  return {
    jobs: [...owned]
      .sort((a, b) => b.submittedAt - a.submittedAt)
      .map((job) => ({
        ...job,
        pending: seen.get(job.jobId)?.pending ?? 0,
        running: seen.get(job.jobId)?.running ?? 0,
      })),
    decision: {
      at,
      workers: event.workers,
      reason: event.reason,
      ...(event.jobId === undefined ? {} : { jobId: event.jobId }),
    },
  };
}
