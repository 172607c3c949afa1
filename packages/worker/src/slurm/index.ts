/**
 * `@bottle/worker/slurm`: workers as Slurm jobs (`bottle launch --slurm`, `bottle-server
 * --slurm-alloc`): the job script, the allocator, and the few Slurm commands bottle runs (sbatch,
 * squeue, scancel).
 */

export { type AllocationFile, parseAllocationFile } from './alloc-file.js';
export {
  type AllocationDecision,
  type AllocationLimits,
  type AllocationState,
  decideAllocation,
} from './allocate.js';
export {
  type OwnedJobLedger,
  type OwnedJobState,
  SlurmAllocator,
  type SlurmAllocatorOptions,
} from './allocator.js';
export {
  cancelJobs,
  jobTimeLeftSeconds,
  listJobs,
  runSlurm,
  type SlurmCommandOptions,
  type SlurmJob,
  submitJobScript,
} from './commands.js';
export { pendingReasonHint } from './reasons.js';
export { type SlurmJobOptions, shellQuote, slurmJobScript, slurmTimeSeconds } from './script.js';
