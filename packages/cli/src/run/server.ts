import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseByteSize, redactUrl } from '@bottle/protocol';
import { createEventLog, type NotifyOptions, startBottleServer } from '@bottle/server';
import { loadScanOrSearch } from '@bottle/worker/search';
import { reachableUrls } from '../_addresses.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { positiveInt, positiveSeconds, resolveToken } from '../_options.js';
import { type ServerSearch, startServerSearch } from '../_server-search.js';
import { onStopSignals } from '../_signals.js';
import { readSlurmAllocation, startSlurmAllocator } from '../_slurm-alloc.js';
import { scanError, submitScan } from '../_submit.js';
import type { ServerArgs } from '../commands/server.js';

const PROGRAM = 'bottle-server';

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
  const maxUploadBytes = argv['max-upload'] === undefined ? undefined : parseByteSize(argv['max-upload']);
  if (argv['max-upload'] !== undefined && maxUploadBytes === undefined) {
    throw new UsageError(`--max-upload: '${argv['max-upload']}' is not a size; write e.g. 500MB or 2GiB`);
  }
  const notify = notifyOptions(argv, context.env);
  const allocation =
    argv['slurm-alloc'] === undefined
      ? undefined
      : await readSlurmAllocation(argv['slurm-alloc'], context.cwd);
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
    ...(notify ? { notify } : {}),
    ...log,
  });
  let removeHandlers = () => {};
  let allocator: { close(): Promise<void> } | undefined;
  let search: ServerSearch | undefined;
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
      const root = argv.root ?? context.cwd;
      const spec = argv.p;
      const loaded = await loadScanOrSearch(spec, { root }).catch((error: unknown) => {
        throw scanError(spec, error);
      });
      if ('search' in loaded) {
        if (argv.rerun) throw new UsageError('--rerun submits a scan again; a search (-p) replays its own');
        const { scan, budget } = loaded.search;
        context.stdout(
          `${PROGRAM}: search '${scan}': ${budget.maxTasks} tasks at most, ${budget.maxParallel} at a time\n`,
        );
        search = startServerSearch(loaded.search, server, logger, context.stdout);
      } else {
        const outcome = await submitScan(
          loaded.scan,
          {
            root,
            submit: (tasks, flags) => server.submit({ tasks, ...flags }),
            rerun: argv.rerun,
            context,
          },
          spec,
        );
        context.stdout(
          `${PROGRAM}: scan '${outcome.scan}': ${outcome.created} new tasks, ${outcome.existing} already known` +
            (outcome.requeued ? `, ${outcome.requeued} requeued` : '') +
            '\n',
        );
      }
    }
    // After the -p scan is in: the first decision sees its tasks.
    if (allocation !== undefined) {
      allocator = await startSlurmAllocator(allocation, {
        cwd: context.cwd,
        env: context.env,
        store: server.store,
        remoteUrl: urls.remote[0],
        // Through the router: the event log hears it, and the dashboard shows it.
        onEvent: server.router.emit,
      });
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
    // Before the queue closes: the search stops proposing, its tasks in flight stay queued.
    await search?.stop();
    await allocator?.close();
    await server.close();
  }
  return 0;
}

/** `--notify URL…` with its secret (flag, else $BOTTLE_NOTIFY_SECRET); the server checks the URLs. */
function notifyOptions(argv: ServerArgs, env: NodeJS.ProcessEnv): NotifyOptions | undefined {
  const urls = (argv.notify ?? []).map(String);
  if (urls.length === 0) {
    if (argv['notify-secret'] !== undefined) throw new UsageError('--notify-secret needs --notify URL');
    if (argv['notify-failures']) throw new UsageError('--notify-failures needs --notify URL');
    return undefined;
  }
  const secret = argv['notify-secret'] ?? env.BOTTLE_NOTIFY_SECRET;
  if (secret === '') throw new UsageError('--notify-secret must not be empty');
  return { urls, ...(secret ? { secret } : {}), taskFailures: argv['notify-failures'] };
}
