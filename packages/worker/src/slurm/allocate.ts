/**
 * The allocator's decision, a pure function: how many workers to submit now, and why. It keeps
 * worker jobs queued while tasks wait, up to the limits, and submits none while its earlier jobs
 * still wait in Slurm's queue (they will take the tasks once they start) or when no task waits.
 */

export interface AllocationState {
  /** Tasks waiting in bottle's queue. */
  queuedTasks: number;
  /** Workers of the allocator's jobs that Slurm has not started yet. */
  pendingWorkers: number;
  /** Workers of the allocator's jobs that run. */
  runningWorkers: number;
  /** The allocator's jobs (job arrays) Slurm still knows. */
  ownedJobs: number;
}

export interface AllocationLimits {
  /** Task slots of each worker (`-x`). */
  slots: number;
  /** Most jobs (arrays) of the allocator at once. */
  maxJobs: number;
  /** Most workers of the allocator at once, pending and running. */
  maxWorkers: number;
}

export interface AllocationDecision {
  /** Workers to submit now, as one job array (0: none). */
  workers: number;
  reason: string;
}

export function decideAllocation(state: AllocationState, limits: AllocationLimits): AllocationDecision {
  const { queuedTasks, pendingWorkers, runningWorkers, ownedJobs } = state;
  const now = `${runningWorkers} running, ${pendingWorkers} pending`;
  if (queuedTasks === 0) return { workers: 0, reason: `no task waits (${now})` };
  if (pendingWorkers > 0)
    return {
      workers: 0,
      reason: `${queuedTasks} tasks wait; ${pendingWorkers === 1 ? '1 worker is' : `${pendingWorkers} workers are`} pending in Slurm's queue (${now})`,
    };
  if (ownedJobs >= limits.maxJobs)
    return { workers: 0, reason: `${queuedTasks} tasks wait; at --max-jobs ${limits.maxJobs} (${now})` };
  const room = limits.maxWorkers - runningWorkers - pendingWorkers;
  if (room <= 0)
    return {
      workers: 0,
      reason: `${queuedTasks} tasks wait; at --max-workers ${limits.maxWorkers} (${now})`,
    };
  const wanted = Math.ceil(queuedTasks / limits.slots);
  const workers = Math.min(wanted, room);
  return {
    workers,
    reason: `${queuedTasks} tasks wait: submitting ${workers} worker${workers === 1 ? '' : 's'} of ${limits.slots} slot${limits.slots === 1 ? '' : 's'} (${now}${workers < wanted ? `; --max-workers ${limits.maxWorkers}` : ''})`,
  };
}

/** Array elements a squeue job id stands for: `12_3` is one, a pending `12_[0-3,7]` five. */
export function elementsOf(jobId: string): number {
  const range = /_\[([^\]]+)\]$/.exec(jobId)?.[1];
  if (range === undefined) return 1;
  let count = 0;
  for (const part of range.split('%')[0]?.split(',') ?? []) {
    const [from, to] = part.split('-').map(Number);
    count += to === undefined ? 1 : (to as number) - (from as number) + 1;
  }
  return count;
}
