import { parseDuration } from '@bottle/protocol';

/**
 * The Slurm job a worker runs in, from the variables Slurm sets: `123_4` for element 4 of array
 * job 123, `123` for a plain job, undefined outside Slurm.
 */
export function slurmJobLabel(env: NodeJS.ProcessEnv): string | undefined {
  const array = env.SLURM_ARRAY_JOB_ID;
  const element = env.SLURM_ARRAY_TASK_ID;
  if (array && element) return `${array}_${element}`;
  return env.SLURM_JOB_ID || undefined;
}

/** Seconds kept between a worker's stop and its Slurm job's end: time to release and report. */
const SLURM_STOP_MARGIN_S = 30;

/**
 * When the worker must be gone (epoch ms): after `--max-time`, and in a Slurm job with a time limit,
 * {@link SLURM_STOP_MARGIN_S} before the job ends (squeue says how long it has left); the earlier.
 */
export async function workerStopAt(
  maxTime: string | undefined,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Promise<number | undefined> {
  const now = Date.now();
  const ends: number[] = [];
  if (maxTime !== undefined) ends.push(now + parseDuration(maxTime, '--max-time', 'ERR_USAGE'));
  // An array element by `job_element`: squeue -j with the array's id would list every element.
  const jobId = slurmJobLabel(env);
  if (jobId) {
    const { jobTimeLeftSeconds } = await import('@bottle/worker/slurm');
    try {
      const left = await jobTimeLeftSeconds(jobId, { env });
      if (left !== undefined)
        ends.push(now + Math.max(0, left - Math.min(SLURM_STOP_MARGIN_S, left / 2)) * 1000);
    } catch (error) {
      warn(`cannot tell when Slurm job ${jobId} ends (${(error as Error).message}); give --max-time`);
    }
  }
  return ends.length === 0 ? undefined : Math.round(Math.min(...ends));
}

/**
 * Seconds a worker in a Slurm job lets its running tasks finish after SIGTERM before it releases
 * them: below Slurm's default KillWait (30 s), after which the job's processes are killed.
 */
export const SLURM_TERM_GRACE_S = 20;
