import { BottleError } from '@bottle/protocol';

/** What one `bottle launch --slurm` asks of Slurm, and what each array element runs. */
export interface SlurmJobOptions {
  /** Array elements: one worker each. */
  array: number;
  /** The shell command that starts a worker, written into the script as is (`npx bottle-worker`). */
  command: string;
  /** Arguments after the command: the server and the worker's options. */
  workerArgs: readonly string[];
  /** Task slots of each worker; also its `--cpus-per-task`. */
  slots: number;
  /** `--time`, in any of Slurm's formats (`30`, `1:00:00`, `2-00:00:00`). */
  time?: string | undefined;
  partition?: string | undefined;
  mem?: string | undefined;
  gres?: string | undefined;
  account?: string | undefined;
  qos?: string | undefined;
  /** `--job-name`: `--status` and `--cancel` find the jobs by it. */
  jobName: string;
  /** `--output`, with Slurm's `%A` (array job) and `%a` (element) patterns. */
  output: string;
  /** Seconds before the time limit at which Slurm sends SIGTERM to the worker. */
  signalSeconds: number;
  /** More `sbatch` options, each written as its own `#SBATCH` line. */
  extraSbatchArgs?: readonly string[] | undefined;
  /** Working directory of each worker (`--chdir`). */
  chdir?: string | undefined;
}

/**
 * The job script of one worker array. The worker is exec'ed, so that it is the batch shell
 * itself: `--signal=B:TERM@S` then reaches the worker, which releases its tasks and exits before
 * Slurm kills the job.
 */
export function slurmJobScript(options: SlurmJobOptions): string {
  if (!Number.isInteger(options.array) || options.array < 1)
    throw new BottleError('ERR_USAGE', `--array must be a whole number >= 1, not ${options.array}`);
  if (!Number.isInteger(options.slots) || options.slots < 1)
    throw new BottleError('ERR_USAGE', `-x must be a whole number >= 1, not ${options.slots}`);
  if (options.time !== undefined) slurmTimeSeconds(options.time);
  if (/[\r\n]/.test(options.command) || options.command.trim() === '')
    throw new BottleError(
      'ERR_USAGE',
      `the worker command must be one line: ${JSON.stringify(options.command)}`,
    );
  const directives: string[] = [
    `--job-name=${options.jobName}`,
    `--array=0-${options.array - 1}`,
    '--ntasks=1',
    `--cpus-per-task=${options.slots}`,
    ...(options.time !== undefined ? [`--time=${options.time}`] : []),
    ...(options.partition ? [`--partition=${options.partition}`] : []),
    ...(options.mem ? [`--mem=${options.mem}`] : []),
    ...(options.gres ? [`--gres=${options.gres}`] : []),
    ...(options.account ? [`--account=${options.account}`] : []),
    ...(options.qos ? [`--qos=${options.qos}`] : []),
    ...(options.chdir ? [`--chdir=${options.chdir}`] : []),
    `--output=${options.output}`,
    `--signal=B:TERM@${options.signalSeconds}`,
    ...(options.extraSbatchArgs ?? []),
  ];
  for (const directive of directives)
    if (/[\r\n]/.test(directive))
      throw new BottleError(
        'ERR_USAGE',
        `an sbatch option cannot hold a line break: ${JSON.stringify(directive)}`,
      );
  return [
    '#!/bin/bash',
    '# A bottle worker per array element (bottle launch --slurm). Slurm sends SIGTERM',
    `# ${options.signalSeconds} s before the time limit; the worker then releases what it holds.`,
    ...directives.map((directive) => `#SBATCH ${directive}`),
    '',
    `exec ${options.command} ${[...options.workerArgs, '-x', String(options.slots)].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

/** A word for bash: left bare when it is safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Seconds of a Slurm time: `minutes`, `minutes:seconds`, `hours:minutes:seconds`, `days-hours`,
 * `days-hours:minutes`, `days-hours:minutes:seconds`. `UNLIMITED` and `INFINITE` are undefined.
 */
export function slurmTimeSeconds(value: string): number | undefined {
  const text = value.trim();
  if (/^(UNLIMITED|INFINITE)$/i.test(text)) return undefined;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text);
  if (!match)
    throw new BottleError(
      'ERR_USAGE',
      `${JSON.stringify(value)} is not a Slurm time (e.g. 30, 1:00:00, 2-00:00:00)`,
    );
  const [, days, a, b, c] = match;
  const numbers = [a, b, c].filter((part): part is string => part !== undefined).map(Number);
  let seconds: number;
  if (days !== undefined) {
    const [hours = 0, minutes = 0, secs = 0] = numbers;
    seconds = ((Number(days) * 24 + hours) * 60 + minutes) * 60 + secs;
  } else if (numbers.length === 3) {
    const [hours = 0, minutes = 0, secs = 0] = numbers;
    seconds = (hours * 60 + minutes) * 60 + secs;
  } else {
    const [minutes = 0, secs = 0] = numbers;
    seconds = minutes * 60 + secs;
  }
  return seconds;
}
