import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULT_PORT, redactUrl } from '@bottle/protocol';
import { createEventLog, logLevels, startBottleServer } from '@bottle/server';
import type { Argv } from 'yargs';
import { reachableUrls } from '../_addresses.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { positiveInt, positiveSeconds, resolveToken } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import { submitScanSpec } from '../_submit.js';

const PROGRAM = 'bottle-server';

export function serverOptions<T>(yargs: Argv<T>) {
  return yargs
    .usage(
      '$0 [options]\n\nServe a task queue; with -p, first submit a scan from a task module.\nTasks persist in a SQLite file: restarting the same command adds nothing and loses nothing.',
    )
    .option('p', {
      alias: 'module',
      type: 'string',
      description:
        "Scan to submit at start: module.export (e.g. 'examples/dummy.scan') or a sweep file (.yaml/.json)",
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
    .option('gather-shared', {
      type: 'boolean',
      default: false,
      description: 'With --gather and a postgres:// --db: confirm that every server sees the same directory',
    })
    .option('max-upload', {
      type: 'string',
      description: 'Largest output of one task, e.g. 500MB, 2GiB (default 1GiB)',
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
    .option('rerun', {
      type: 'boolean',
      default: false,
      description: "With -p: rerun the scan's finished tasks",
    })
    .example('$0 -p examples/dummy.scan', 'serve the seed example on 127.0.0.1:1988')
    .example('$0 -p examples/dummy.scan --gather gathered', 'also collect outputs in ./gathered')
    .example('$0 --host 0.0.0.0 --token "$(openssl rand -hex 16)"', 'serve remote workers directly');
}

type ServerArgs = Awaited<ReturnType<ReturnType<typeof serverOptions>['parseAsync']>>;

export async function runServer(argv: ServerArgs, context: CliContext): Promise<number> {
  const format = argv['log-format'] === 'auto' ? (context.isTTY ? 'pretty' : 'json') : argv['log-format'];
  const log = createEventLog({
    format,
    level: argv['log-level'],
    colorize: context.isTTY && context.env.NO_COLOR === undefined,
    destination: new Writable({
      write(chunk, _encoding, callback) {
        context.stderr(String(chunk));
        callback();
      },
    }),
  });
  const { logger } = log;
  const leaseSeconds = positiveSeconds('lease', argv.lease);
  const port = argv.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  const token = resolveToken(argv.token, context.env);
  if (argv['max-upload'] !== undefined && argv.gather === undefined) {
    throw new UsageError('--max-upload needs --gather DIR');
  }
  const maxUploadBytes = argv['max-upload'] === undefined ? undefined : parseSize(argv['max-upload']);
  const server = await startBottleServer({
    port,
    host: argv.host,
    db: argv.db,
    ...(token ? { token } : {}),
    ...(leaseSeconds ? { leaseMs: Math.round(leaseSeconds * 1000) } : {}),
    ...(argv['max-attempts'] !== undefined
      ? { maxAttempts: positiveInt('max-attempts', argv['max-attempts']) }
      : {}),
    ...(argv.gather !== undefined ? { gatherDir: resolve(context.cwd, argv.gather) } : {}),
    ...(argv['gather-shared'] ? { gatherShared: true } : {}),
    ...(maxUploadBytes !== undefined ? { maxUploadBytes } : {}),
    ...log,
  });
  let removeHandlers = () => {};
  const stopping = new Promise<void>((resolve) => {
    removeHandlers = onStopSignals(
      () => {
        logger.info('stopping: draining requests (Ctrl-C again to quit at once)');
        resolve();
      },
      () => process.exit(130),
    );
  });
  try {
    const urls = reachableUrls(server.url, argv.host);
    const everywhere =
      urls.remote.length > 0 ? `, and on every interface as ${urls.remote.join(' or ')}` : '';
    context.stdout(`${PROGRAM}: listening on ${urls.local}${everywhere} (queue in ${redactUrl(argv.db)})\n`);
    if (argv.gather !== undefined) context.stdout(`${PROGRAM}: gathering outputs in ${argv.gather}\n`);
    if (argv.p) {
      const outcome = await submitScanSpec(argv.p, {
        root: argv.root ?? context.cwd,
        submit: (request) => server.submit(request),
        rerun: argv.rerun,
        context,
      });
      context.stdout(
        `${PROGRAM}: scan '${outcome.scan}': ${outcome.created} new tasks, ${outcome.existing} already known` +
          (outcome.requeued ? `, ${outcome.requeued} requeued` : '') +
          '\n',
      );
    }
    const scans = await server.store.listScans();
    const queued = scans.scans.reduce((sum, scan) => sum + scan.counts.queued, 0);
    context.stdout(`${PROGRAM}: ${queued} tasks queued\n`);
    const workerHint = token ? ' --token <token>' : '';
    const workerUrl = urls.remote[0] ?? urls.local;
    context.stdout(`${PROGRAM}: start a worker with: npx bottle-worker ${workerUrl} -x 4${workerHint}\n`);
    context.stdout(`${PROGRAM}: dashboard at ${urls.local}/${token ? ' (log in with the token)' : ''}\n`);
    await stopping;
  } finally {
    removeHandlers();
    await server.close();
  }
  return 0;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/** `--max-upload`: bytes, or a number with a unit (KB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? SIZE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  const bytes = match && factor ? Math.floor(Number(match[1]) * factor) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(`--max-upload: '${text}' is not a size; write e.g. 500MB or 2GiB`);
  }
  return bytes;
}
