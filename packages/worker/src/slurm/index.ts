/**
 * `@bottle/worker/slurm`: workers as Slurm jobs (`bottle launch --slurm`): the job script, and
 * the few Slurm commands bottle runs (sbatch, squeue, scancel).
 */
export {
  cancelJobs,
  jobTimeLeftSeconds,
  listJobs,
  runSlurm,
  type SlurmCommandOptions,
  type SlurmJob,
  submitJobScript,
} from './commands.js';
export { type SlurmJobOptions, shellQuote, slurmJobScript, slurmTimeSeconds } from './script.js';
