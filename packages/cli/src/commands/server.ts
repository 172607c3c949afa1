import { DEFAULT_PORT } from '@bottle/protocol';
import { logLevels } from '@bottle/server';
import type { Argv } from 'yargs';

export function serverOptions<T>(yargs: Argv<T>) {
  return yargs
    .usage(
      '$0 [options]\n\nServe a task queue; with -p, first submit a scan from a task module (or run a search).\nTasks persist in a SQLite file: restarting the same command adds nothing and loses nothing.',
    )
    .option('p', {
      alias: 'module',
      type: 'string',
      description:
        "Scan to submit at start: module.export (e.g. 'examples/dummy.scan') or a sweep file (.yaml/.json); or a search (module.search, a search file) that the server runs and resumes on restart",
    })
    .option('port', {
      type: 'number',
      default: DEFAULT_PORT,
      description: 'Port to listen on (0: any free port)',
    })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      description: 'Address to bind; beyond loopback, set --token',
    })
    .option('db', {
      type: 'string',
      default: 'bottle.db',
      description: 'SQLite file that holds the queue, or postgres://user@host/db to share it between servers',
    })
    .option('token', { type: 'string', description: 'Require this bearer token (default: $BOTTLE_TOKEN)' })
    .option('lease', { type: 'number', description: 'Lease length in seconds (default 30)' })
    .option('max-attempts', { type: 'number', description: 'Attempts before a task is failed (default 3)' })
    .option('root', { type: 'string', description: 'Folder task modules are resolved in (default: cwd)' })
    .option('gather', {
      type: 'string',
      description: "Collect each task's output folder here (workers upload it)",
    })
    .option('slurm-alloc', {
      type: 'string',
      description:
        'Keep Slurm worker jobs queued while tasks wait, as this JSON file says (partition, time, slots, maxWorkers…; docs/slurm.md)',
    })
    .option('gather-shared', {
      type: 'boolean',
      default: false,
      description: 'With --gather and a postgres:// --db: confirm that every server sees the same directory',
    })
    .option('max-upload', {
      type: 'string',
      description:
        'Largest output of one task, e.g. 500MB, 2GiB (KB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024; default 1GiB)',
    })
    .option('log-format', {
      choices: ['auto', 'pretty', 'json'] as const,
      default: 'auto' as const,
      description: 'Event log on stderr: readable lines, or JSON lines (auto: pretty on a terminal)',
    })
    .option('log-level', {
      choices: logLevels,
      default: 'info' as const,
      description: 'Lowest level of the event log',
    })
    .option('notify', {
      type: 'string',
      array: true,
      description:
        'POST a JSON event to this URL when a scan ends (repeatable; retried, never holds up the queue)',
    })
    .option('notify-secret', {
      type: 'string',
      description:
        'Sign each --notify body with HMAC-SHA256 of this secret, in X-Bottle-Signature-256 (default: $BOTTLE_NOTIFY_SECRET)',
    })
    .option('notify-failures', {
      type: 'boolean',
      default: false,
      description: 'With --notify: also POST an event for each task that fails for good',
    })
    .option('rerun', {
      type: 'boolean',
      default: false,
      description: "With -p: rerun the scan's finished tasks",
    })
    .example('$0 -p examples/dummy.scan', 'serve the seed example on 127.0.0.1:1988')
    .example('$0 -p examples/dummy.scan --gather gathered', 'also collect outputs in ./gathered')
    .example('$0 --host 0.0.0.0 --token "$(openssl rand -hex 16)"', 'serve remote workers directly');
}

export type ServerArgs = Awaited<ReturnType<ReturnType<typeof serverOptions>['parseAsync']>>;
