import { hostname } from 'node:os';
import { DEFAULT_PORT, DEFAULT_TUNNEL_PORT } from '@bottle/protocol';
import { BottleClient, isolations, openTunnel, type SshTunnel, Worker } from '@bottle/worker';
import type { Argv } from 'yargs';
import { type CliContext, contextLogger } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { positiveInt, positiveSeconds, resolveServers, resolveToken } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import { dryRunText, submitScanSpec } from '../_submit.js';
import { askPassphraseOnTty } from '../_tty.js';
import { summaryLine, workerExitCode } from '../_worker-exit.js';
import { workerProgress } from '../_worker-progress.js';

const PROGRAM = 'bottle-worker';

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
    .option('tunnel-port', {
      type: 'number',
      default: DEFAULT_TUNNEL_PORT,
      description: 'Local port of the -t tunnel (taken by another tunnel: the next free one)',
    })
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
    .example('$0 http://host:1988 -p examples/dummy.scan --post', 'submit a scan to a running server');
}

type WorkerArgs = Awaited<ReturnType<ReturnType<typeof workerOptions>['parseAsync']>>;

export async function runWorker(argv: WorkerArgs, context: CliContext): Promise<number> {
  const logger = contextLogger(context, PROGRAM);
  const token = resolveToken(argv.token, context.env);
  const slots = positiveInt('x', argv.x) ?? 1;
  const timeoutSeconds = positiveSeconds('timeout', argv.timeout);
  const root = argv.root ?? context.cwd;
  if (argv.post && !argv.p) throw new UsageError('--post needs -p module.export, the scan to submit');
  if (argv.p && !argv.post)
    throw new UsageError('-p needs --post here; to serve a scan use bottle-server -p');

  let tunnel: SshTunnel | undefined;
  let serverUrls: string[];
  if (argv.t) {
    if ((argv.server?.length ?? 0) > 1) throw new UsageError('-t takes one SSH host');
    const target = argv.server?.[0] ?? context.env.BOTTLE_SERVER;
    if (!target) throw new UsageError('-t needs the SSH host: bottle-worker user@host -t');
    tunnel = await openTunnel({
      target,
      localPort: argv['tunnel-port'],
      remotePort: argv['remote-port'],
      ...(argv.identity ? { identity: argv.identity } : {}),
      acceptNewHostKey: argv['accept-new-host-key'],
      ...(context.env.SSH_AUTH_SOCK ? { agent: context.env.SSH_AUTH_SOCK } : {}),
      askPassphrase: (keyPath: string) =>
        context.env.BOTTLE_SSH_PASSPHRASE !== undefined
          ? Promise.resolve(context.env.BOTTLE_SSH_PASSPHRASE)
          : askPassphraseOnTty(keyPath),
      logger,
    });
    serverUrls = [tunnel.localUrl];
    const shared = tunnel.shared ? ' (a tunnel already open to that server)' : '';
    logger.info(`tunnel open: ${tunnel.localUrl} -> ${target} localhost:${argv['remote-port']}${shared}`);
  } else {
    serverUrls = resolveServers(argv.server, context.env);
  }
  const serverUrl = serverUrls[0] as string;

  try {
    if (argv.post && argv.p) {
      await using client = new BottleClient({ server: serverUrl, ...(token ? { token } : {}) });
      const outcome = await submitScanSpec(argv.p, {
        root,
        submit: (request) => client.submit(request.tasks, request),
        rerun: argv.rerun,
        dryRun: argv['dry-run'],
        context,
      });
      context.stdout(
        argv['dry-run']
          ? dryRunText(outcome)
          : `scan '${outcome.scan}': ${outcome.created} new, ${outcome.existing} already known` +
              (outcome.requeued ? `, ${outcome.requeued} requeued` : '') +
              '\n',
      );
      return 0;
    }
    return await runPool(serverUrls, token, { slots, root, timeoutSeconds, tunnel }, argv, context, logger);
  } finally {
    await tunnel?.close();
  }
}

async function runPool(
  serverUrls: string[],
  token: string | undefined,
  {
    slots,
    root,
    timeoutSeconds,
    tunnel,
  }: { slots: number; root: string; timeoutSeconds: number | undefined; tunnel: SshTunnel | undefined },
  argv: WorkerArgs,
  context: CliContext,
  baseLogger: ReturnType<typeof contextLogger>,
): Promise<number> {
  let logger = baseLogger;
  const worker = new Worker({
    server: serverUrls,
    ...(token ? { token } : {}),
    slots,
    isolation: argv.isolation,
    ...(argv.processes === undefined ? {} : { processes: positiveInt('processes', argv.processes) }),
    root,
    ...(argv['task-file'] !== undefined ? { taskFile: argv['task-file'] } : {}),
    retryIfEmpty: argv['retry-if-empty'],
    prefetch: parsePrefetch(argv.prefetch),
    host: hostname(),
    ...(timeoutSeconds ? { timeoutMs: Math.round(timeoutSeconds * 1000) } : {}),
    // The library's start and summary lines repeat what this command prints: debug only.
    logger: { ...logger, info: logger.debug },
  });
  const progress = argv.quiet ? undefined : workerProgress(worker, context, PROGRAM);
  if (progress) logger = contextLogger(progress.context, PROGRAM);
  worker.on('failed', (task, error) => {
    logger.warn(`task ${task.key.slice(0, 12)} (${task.task}) failed: ${firstLine(error.message)}`);
  });
  logger.info(
    `worker ${worker.workerId} working for ${serverUrls.join(', ')} with ${slots} slot${slots === 1 ? '' : 's'} in ${root}` +
      (argv.isolation === 'process' ? '' : ` (isolation ${argv.isolation})`),
  );
  let interrupted = false;
  const removeHandlers = onStopSignals(
    () => {
      interrupted = true;
      logger.info('stopping: no new tasks; running ones finish (Ctrl-C again to kill them)');
      void worker.stop();
    },
    () => {
      logger.info('killing running tasks and releasing their leases');
      void worker.stop({ force: true });
    },
  );
  // A tunnel that gave up (a changed host key, a refused login) will not come back: stop, and say
  // why, rather than retry the server forever.
  let tunnelFailure: Error | undefined;
  tunnel?.on('error', (error) => {
    tunnelFailure = error;
    logger.error('the SSH tunnel gave up: stopping (running tasks are released)');
    void worker.stop({ force: true });
  });
  try {
    const summary = await worker.run().catch((error: unknown) => {
      throw tunnelFailure ?? error;
    });
    if (tunnelFailure) throw tunnelFailure;
    progress?.stop();
    context.stdout(`${PROGRAM}: ${summaryLine(summary)}\n`);
    // Every task it was given was one it has no code for: that is not a success.
    if (!interrupted && summary.cannotRun.length > 0 && summary.done + summary.failed === 0) {
      context.stderr(
        `${PROGRAM}: ran nothing: no module or command-task definition here for ${summary.cannotRun.join(', ')}; ` +
          'check --root and --task-file\n',
      );
      return exitCodes.failure;
    }
    return workerExitCode(summary, interrupted);
  } finally {
    progress?.stop();
    removeHandlers();
  }
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function parsePrefetch(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0)
    throw new UsageError('--prefetch takes a whole number >= 0, or auto');
  return count;
}
