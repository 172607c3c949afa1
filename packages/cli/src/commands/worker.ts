import { DEFAULT_PORT, DEFAULT_TUNNEL_PORT } from '@bottle/protocol';
import { isolations } from '@bottle/worker';
import type { Argv } from 'yargs';
import { formerSpelling } from '../_options.js';

export function workerOptions<T>(yargs: Argv<T>) {
  return yargs
    .usage(
      '$0 [server..] [options]\n\nPull tasks from a bottle server and run them here, N at a time.\n' +
        'server: http://host:1988 (default: $BOTTLE_SERVER, else http://127.0.0.1:1988), or with -t an SSH host.\n' +
        'Several servers of one database (separated by spaces or commas): when one stops answering,\n' +
        'the worker carries on through the next.',
    )
    .positional('server', { type: 'string', array: true, description: 'Server URL(s), or SSH host with -t' })
    .option('x', { alias: 'slots', type: 'number', default: 1, description: 'Tasks to run at once' })
    .option('resources', {
      type: 'string',
      array: true,
      description:
        'What this worker has, e.g. gpus=2,cpus=16,memory=64GiB: tasks that ask resources get only what is free (default: the CPUs and memory detected, gpus from CUDA_VISIBLE_DEVICES, else 0)',
    })
    .option('labels', {
      type: 'string',
      array: true,
      description: 'Labels this worker has, e.g. cuda12: tasks that need a label go only to workers with it',
    })
    .option('isolation', {
      type: 'string',
      choices: isolations,
      default: 'process' as const,
      description:
        'Where tasks run: process (warm task processes; a crash cannot take the worker down), thread (worker threads) or none (in the worker itself: fastest, for trusted short tasks)',
    })
    .option('processes', {
      type: 'number',
      description: 'Task processes (or threads) the slots share (default: the slots, at most the CPU cores)',
    })
    .option('retry-if-empty', {
      alias: 'retry_if_empty',
      type: 'boolean',
      default: false,
      description: 'Keep waiting for work when the queue is empty instead of exiting',
    })
    .option('prefetch', {
      type: 'string',
      default: 'auto',
      description:
        'Tasks leased beyond the free slots: a number, or auto (about 50 ms of work per slot while tasks are short)',
    })
    .option('root', { type: 'string', description: 'Folder task modules are resolved in (default: cwd)' })
    .option('task-file', {
      type: 'string',
      description: 'Command-task file (default: bottle.yaml, bottle.yml or bottle.json in the root, if any)',
    })
    .option('timeout', { type: 'number', description: 'Kill a task after this many seconds' })
    .option('max-time', {
      type: 'string',
      description:
        'Stop after this long (e.g. 2h, 90m): no task is claimed that would not finish, running ones are released at the end. In a Slurm job: the time the job has left',
    })
    .option('task-time', {
      type: 'string',
      description: 'How long one task takes (e.g. 10m): with a time limit, no claim once less time is left',
    })
    .option('token', { type: 'string', description: 'Bearer token (default: $BOTTLE_TOKEN)' })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      description:
        'No progress line (live on a terminal, every 10 s elsewhere); warnings and the summary stay',
    })
    .option('t', {
      alias: 'tunnel',
      type: 'boolean',
      default: false,
      description: `Reach the server through SSH: forward 127.0.0.1:${DEFAULT_TUNNEL_PORT} to the host's localhost:${DEFAULT_PORT}`,
    })
    .option('local-port', {
      type: 'number',
      default: DEFAULT_TUNNEL_PORT,
      description: 'Local port of the -t tunnel (taken by another tunnel: the next free one)',
    })
    .option('tunnel-port', { type: 'number', ...formerSpelling('local-port') })
    .option('remote-port', {
      type: 'number',
      default: DEFAULT_PORT,
      description: 'Server port on the SSH host',
    })
    .option('identity', { alias: 'i', type: 'string', description: 'SSH private key file for -t' })
    .option('accept-new-host-key', {
      type: 'boolean',
      default: false,
      description: 'Record an unknown SSH host key (a changed key is always refused)',
    })
    .option('p', {
      alias: 'module',
      type: 'string',
      description: 'With --post: the scan to submit (module.export, or a sweep file)',
    })
    .option('post', {
      type: 'boolean',
      default: false,
      description: 'Submit the -p scan to the server and exit',
    })
    .option('rerun', {
      type: 'boolean',
      default: false,
      description: "With --post: rerun the scan's finished tasks",
    })
    .option('dry-run', {
      type: 'boolean',
      default: false,
      description: 'With --post: count the tasks, submit nothing',
    })
    .example('$0 http://host:1988 -x 12', 'run 12 tasks at once')
    .example('$0 http://a:1988,http://b:1988', 'two servers of one database: fail over from a to b')
    .example('$0 host -t', 'reach host:1988 through an SSH tunnel')
    .example(
      '$0 http://host:1988 -x 8 --resources gpus=2 --labels cuda12',
      'a GPU box: GPU tasks, two at a time',
    )
    .example('$0 http://host:1988 -p examples/dummy.scan --post', 'submit a scan to a running server');
}

export type WorkerArgs = Awaited<ReturnType<ReturnType<typeof workerOptions>['parseAsync']>>;
