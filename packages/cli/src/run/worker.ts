import { hostname } from 'node:os';
import { parseDuration } from '@bottle/protocol';
import { BottleClient, Worker } from '@bottle/worker';
import type { SshTunnel } from '@bottle/worker/ssh';
import { type CliContext, contextLogger } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { positiveInt, positiveSeconds, resolveServers, resolveToken } from '../_options.js';
import { workerResources } from '../_resources.js';
import { onStopSignals } from '../_signals.js';
import { SLURM_TERM_GRACE_S, slurmJobLabel, workerStopAt } from '../_slurm-env.js';
import { dryRunText, submitScanSpec } from '../_submit.js';
import { askPassphraseOnTty } from '../_tty.js';
import { summaryLine, workerExitCode } from '../_worker-exit.js';
import { workerProgress } from '../_worker-progress.js';
import type { WorkerArgs } from '../commands/worker.js';

const PROGRAM = 'bottle-worker';

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
    // ssh2 is loaded only for a tunnel.
    const { openTunnel } = await import('@bottle/worker/ssh');
    tunnel = await openTunnel({
      target,
      localPort: argv['tunnel-port'] ?? argv['local-port'],
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
        submit: (tasks, flags) => client.submit(tasks, flags),
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
  const slurmJob = slurmJobLabel(context.env);
  const stopAt = await workerStopAt(argv['max-time'], context.env, (message) => logger.warn(message));
  const taskTime = argv['task-time'];
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
    ...workerResources(argv, context.env),
    host: hostname(),
    // `bottle workers` then shows which Slurm job each worker is.
    ...(slurmJob ? { workerId: `slurm-${slurmJob}-${hostname()}-${process.pid}` } : {}),
    ...(timeoutSeconds ? { timeoutMs: Math.round(timeoutSeconds * 1000) } : {}),
    ...(stopAt === undefined ? {} : { stopAt }),
    ...(taskTime === undefined ? {} : { taskTimeMs: parseDuration(taskTime, '--task-time', 'ERR_USAGE') }),
    // The library's start and summary lines repeat what this command prints: debug only.
    logger: { ...logger, info: logger.debug },
  });
  const progress = argv.quiet ? undefined : workerProgress(worker, context, PROGRAM);
  if (progress) logger = contextLogger(progress.context, PROGRAM);
  worker.on('task.failed', (task, error) => {
    logger.warn(`task ${task.key.slice(0, 12)} (${task.task}) failed: ${firstLine(error.message)}`);
  });
  if (stopAt !== undefined)
    logger.info(
      `stops by ${new Date(stopAt).toISOString()} (${Math.round((stopAt - Date.now()) / 1000)} s from now)`,
    );
  logger.info(
    `worker ${worker.workerId} working for ${serverUrls.join(', ')} with ${slots} slot${slots === 1 ? '' : 's'} in ${root}` +
      (argv.isolation === 'process' ? '' : ` (isolation ${argv.isolation})`),
  );
  let interrupted = false;
  const removeHandlers = onStopSignals(
    () => {
      interrupted = true;
      // Slurm kills a job's processes soon after its SIGTERM: running tasks get a short grace, then are released.
      if (slurmJob) {
        logger.info(
          `stopping: no new tasks; running ones may finish within ${SLURM_TERM_GRACE_S} s, then are released`,
        );
        setTimeout(() => void worker.stop({ force: true }), SLURM_TERM_GRACE_S * 1000).unref();
      } else logger.info('stopping: no new tasks; running ones finish (Ctrl-C again to kill them)');
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
  tunnel?.on('tunnel.failed', (error) => {
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
