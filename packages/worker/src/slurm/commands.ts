import { execFile } from 'node:child_process';
import { BottleError } from '@bottle/protocol';
import { slurmTimeSeconds } from './script.js';

/** Where the Slurm commands run: their environment (`SLURM_CONF`, `PATH`). */
export interface SlurmCommandOptions {
  env?: NodeJS.ProcessEnv | undefined;
}

/** A job of the user's, as `squeue` shows it. */
export interface SlurmJob {
  /** `123` or, for an array element, `123_4` (pending elements not yet split: `123_[4-7]`). */
  jobId: string;
  name: string;
  /** PENDING, RUNNING, COMPLETING, … */
  state: string;
  /** Time used, as Slurm writes it. */
  time: string;
  /** Time limit, as Slurm writes it. */
  timeLimit: string;
  /** The node, or the reason it waits. */
  nodeOrReason: string;
}

/** Runs a Slurm command; a missing command or a refusal is an ERR_SLURM naming it, with Slurm's words. */
export function runSlurm(
  command: string,
  args: readonly string[],
  options: SlurmCommandOptions & { input?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: options.env ?? process.env, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new BottleError(
            'ERR_SLURM',
            missing
              ? `${command} not found: run this on a machine where Slurm's commands are installed (a login node)`
              : `${command} ${args.join(' ')} failed: ${(stderr || error.message).trim()}`,
            { cause: error },
          ),
        );
      },
    );
    // A command that exits without reading its input (squeue reads none; sbatch refusing an option)
    // breaks the pipe: its exit status and stderr, in the callback above, say what happened. Unheard,
    // the EPIPE would end this process (the server, with its allocator).
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input);
  });
}

/** Submits a job script on stdin (`sbatch --parsable`); resolves with the job id. */
export async function submitJobScript(script: string, options: SlurmCommandOptions = {}): Promise<string> {
  const out = await runSlurm('sbatch', ['--parsable'], { ...options, input: script });
  const jobId = out.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId))
    throw new BottleError('ERR_SLURM', `sbatch printed no job id: ${JSON.stringify(out)}`);
  return jobId;
}

/** The jobs of the current user named `name` (or with the given ids), one per array element. */
export async function listJobs(
  select: { name?: string; jobIds?: readonly string[] },
  options: SlurmCommandOptions = {},
): Promise<SlurmJob[]> {
  const user = (options.env ?? process.env).USER;
  const args = ['-h', '-r', '-o', '%i|%j|%T|%M|%l|%R'];
  if (select.jobIds) {
    if (select.jobIds.length === 0) return [];
    args.push('-j', select.jobIds.join(','));
  }
  if (select.name) args.push('-n', select.name);
  if (user) args.push('-u', user);
  const out = await runSlurm('squeue', args, options);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [jobId = '', name = '', state = '', time = '', timeLimit = '', nodeOrReason = ''] =
        line.split('|');
      return { jobId, name, state, time, timeLimit, nodeOrReason };
    });
}

/** `scancel` of jobs by id (a whole array by its array job id); optionally only a signal. */
export async function cancelJobs(
  jobIds: readonly string[],
  options: SlurmCommandOptions & { signal?: string; batchOnly?: boolean } = {},
): Promise<void> {
  if (jobIds.length === 0) return;
  const args = [
    ...(options.signal ? [`--signal=${options.signal}`] : []),
    ...(options.batchOnly ? ['--batch'] : []),
    ...jobIds,
  ];
  await runSlurm('scancel', args, options);
}

/**
 * Seconds before a job's time limit ends it (`squeue -o %L`), or undefined when it has none.
 * Relative, so that the clocks of the login and compute nodes need not agree.
 */
export async function jobTimeLeftSeconds(
  jobId: string,
  options: SlurmCommandOptions = {},
): Promise<number | undefined> {
  const out = (await runSlurm('squeue', ['-h', '-j', jobId, '-o', '%L'], options)).trim();
  if (out === '') throw new BottleError('ERR_SLURM', `squeue does not know job ${jobId}`);
  if (/^(UNLIMITED|NOT_SET|INVALID)$/i.test(out)) return undefined;
  return slurmTimeSeconds(out);
}
