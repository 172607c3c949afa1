import type { Argv } from 'yargs';

const SLURM = 'Slurm (--slurm):';

/** `bottle launch --slurm`: the job array's sbatch options and what to do with it. */
export function withSlurmOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('slurm', {
      type: 'boolean',
      default: false,
      description: 'Submit workers as one Slurm job array (sbatch --array) instead of SSH sessions',
    })
    .option('array', {
      type: 'number',
      default: 1,
      description: 'Workers to submit: elements of the job array',
    })
    .option('x', {
      alias: ['slots', 'cpus-per-task'],
      type: 'number',
      default: 1,
      description: 'Tasks each worker runs at once; also its --cpus-per-task',
    })
    .option('time', {
      type: 'string',
      description: 'Time limit of each worker job (sbatch --time, e.g. 1:00:00)',
    })
    .option('partition', { type: 'string', description: 'sbatch --partition' })
    .option('mem', { type: 'string', description: 'sbatch --mem (memory per worker, e.g. 16G)' })
    .option('gres', { type: 'string', description: 'sbatch --gres (e.g. gpu:1)' })
    .option('account', { type: 'string', description: 'sbatch --account' })
    .option('qos', { type: 'string', description: 'sbatch --qos' })
    .option('sbatch-arg', {
      type: 'string',
      array: true,
      description:
        'More sbatch options, each as written after #SBATCH (repeatable: --sbatch-arg=--exclusive)',
    })
    .option('worker-arg', {
      type: 'string',
      array: true,
      description: 'More bottle-worker options (repeatable: --worker-arg=--retry-if-empty)',
    })
    .option('worker-command', {
      type: 'string',
      description:
        'How a compute node starts a worker (default: this node and bottle-worker, by absolute path)',
    })
    .option('job-name', {
      type: 'string',
      default: 'bottle-worker',
      description: 'Slurm job name; --status and --cancel find the jobs by it',
    })
    .option('output', {
      type: 'string',
      default: 'bottle-worker-%A_%a.out',
      description: "Each worker's output file (sbatch --output; %A the job, %a the element)",
    })
    .option('signal-before', {
      type: 'number',
      default: 60,
      description:
        'Seconds before the time limit at which Slurm sends the worker SIGTERM (it then releases its tasks)',
    })
    .option('t', {
      alias: 'tunnel',
      type: 'boolean',
      default: false,
      description: `${SLURM} workers reach the server through SSH: -s names the SSH host (the login node)`,
    })
    .option('dry-run', {
      type: 'boolean',
      default: false,
      description: 'Print the job script, submit nothing',
    })
    .option('script-out', {
      type: 'string',
      description: 'Write the job script to this file, submit nothing (to submit by hand: sbatch FILE)',
    })
    .option('status', {
      type: 'boolean',
      default: false,
      description: 'List the worker jobs (those named --job-name) with their state',
    })
    .option('cancel', {
      type: 'boolean',
      default: false,
      description:
        'Stop the worker jobs (those named --job-name): scancel the pending ones, SIGTERM to the running workers (they release their tasks)',
    });
}
