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
