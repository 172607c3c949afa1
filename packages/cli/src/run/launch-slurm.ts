import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cancelJobs,
  listJobs,
  pendingReasonHint,
  slurmJobScript,
  submitJobScript,
} from '@bottle/worker/slurm';
import type { CliContext } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { normalizeServerUrl } from '../_options.js';
import { renderTable } from '../_table.js';
import { thisWorkerCommand } from '../_worker-command.js';
import type { LaunchArgs } from '../commands/launch.js';

const PROGRAM = 'bottle launch --slurm';

/**
 * `bottle launch --slurm`: one `sbatch --array` job whose elements each exec a bottle-worker;
 * `--dry-run` prints the script, `--script-out` writes it, `--status` and `--cancel` act on the
 * jobs named `--job-name`.
 */
export async function runLaunchSlurm(argv: LaunchArgs, context: CliContext): Promise<number> {
  if (argv.hosts !== undefined) throw new UsageError('--slurm takes no hosts file');
  const slurm = { env: context.env };
  const jobName = argv['job-name'];
  if (argv.status && argv.cancel) throw new UsageError('--status and --cancel: give one');
  if (argv.status) {
    const jobs = await listJobs({ name: jobName }, slurm);
    if (jobs.length === 0) context.stdout(`no Slurm jobs named ${jobName}\n`);
    else
      context.stdout(
        renderTable(
          ['job', 'state', 'time', 'limit', 'node (reason)'],
          jobs.map((job) => [job.jobId, job.state, job.time, job.timeLimit, job.nodeOrReason]),
        ),
      );
    // Slurm queues a job that can never start as asked and leaves it pending: say so.
    const pending = new Map<string, string[]>();
    for (const job of jobs.filter((job) => job.state === 'PENDING'))
      pending.set(job.nodeOrReason, [...(pending.get(job.nodeOrReason) ?? []), job.jobId]);
    for (const [reason, ids] of pending) {
      const hint = pendingReasonHint(reason);
      if (hint) context.stderr(`${PROGRAM}: ${ids.join(', ')} pending ${reason}: ${hint}\n`);
    }
    return exitCodes.ok;
  }
  if (argv.cancel) {
    const jobs = await listJobs({ name: jobName }, slurm);
    // Pending elements are cancelled. Running ones get SIGTERM in their batch shell alone, which is
    // the worker (exec'ed): it stops and releases its tasks, where a plain scancel would signal the
    // tasks' processes too and kill them after KillWait.
    const pending = jobs.filter((job) => job.state === 'PENDING').map((job) => job.jobId);
    const running = jobs.filter((job) => job.state === 'RUNNING').map((job) => job.jobId);
    await cancelJobs(pending, slurm);
    await cancelJobs(running, { ...slurm, signal: 'TERM', batchOnly: true });
    context.stderr(
      `${PROGRAM}: ${running.length === 0 ? 'no running worker' : `asked ${running.join(', ')} to stop (SIGTERM: running tasks finish or are released; --cancel again releases them now)`}; ` +
        `${pending.length === 0 ? 'no pending job' : `cancelled ${pending.join(', ')}`}\n`,
    );
    return exitCodes.ok;
  }

  const server = argv.server ?? context.env.BOTTLE_SERVER;
  if (server === undefined)
    throw new UsageError(
      argv.t
        ? 'give -s, the SSH host (the login node) the workers tunnel to'
        : 'give -s URL, the server as compute nodes reach it (bottle-server --host 0.0.0.0 --token …), or -t',
    );
  const script = slurmJobScript({
    array: argv.array,
    slots: argv.x,
    command: argv['worker-command'] ?? thisWorkerCommand(),
    workerArgs: [
      argv.t ? server : normalizeServerUrl(server),
      ...(argv.t ? ['-t'] : []),
      ...(argv['worker-arg'] ?? []),
    ],
    time: argv.time,
    partition: argv.partition,
    mem: argv.mem,
    gres: argv.gres,
    account: argv.account,
    qos: argv.qos,
    jobName,
    output: argv.output,
    signalSeconds: signalSeconds(argv['signal-before']),
    extraSbatchArgs: argv['sbatch-arg'],
    chdir: context.cwd,
  });
  if (argv['dry-run']) {
    context.stdout(script);
    return exitCodes.ok;
  }
  if (argv['script-out'] !== undefined) {
    const path = resolve(context.cwd, argv['script-out']);
    writeFileSync(path, script, { mode: 0o755 });
    context.stderr(`${PROGRAM}: wrote ${path}; submit it with: sbatch ${argv['script-out']}\n`);
    return exitCodes.ok;
  }
  const jobId = await submitJobScript(script, slurm);
  context.stdout(`${jobId}\n`);
  context.stderr(
    `${PROGRAM}: submitted job ${jobId} (${argv.array} worker${argv.array === 1 ? '' : 's'} of ${argv.x} slot${argv.x === 1 ? '' : 's'}); ` +
      `see them with: bottle launch --slurm --status\n`,
  );
  return exitCodes.ok;
}

function signalSeconds(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new UsageError('--signal-before must be a whole number of seconds, 0..65535');
  return value;
}
