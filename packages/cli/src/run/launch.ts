import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LaunchedHost, launchRemoteWorkers, parseHostsFile } from '@bottle/worker/ssh';
import { type CliContext, contextLogger } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { normalizeServerUrl } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import { askPassphraseOnTty } from '../_tty.js';
import type { LaunchArgs } from '../commands/launch.js';

const PROGRAM = 'bottle launch';

/**
 * `bottle launch hosts.json`: one SSH session per host runs `bottle-worker`; every line comes back
 * prefixed by its host. A host that cannot be reached is reported and the others go on; the exit
 * code is 1 if any host failed (unreachable or a non-zero exit), 130 after Ctrl-C.
 */
export async function runLaunch(argv: LaunchArgs, context: CliContext): Promise<number> {
  // The library prefixes its own lines with 'launch: '.
  if (argv.slurm) return (await import('./launch-slurm.js')).runLaunchSlurm(argv, context);
  if (argv.hosts === undefined) throw new UsageError('give a hosts.json file, or --slurm');
  const slurmOnly = slurmOptionsGiven(argv);
  if (slurmOnly.length > 0) throw new UsageError(`${slurmOnly.join(', ')}: only with --slurm`);
  const logger = contextLogger(context, 'bottle');
  const say = (message: string) => context.stderr(`${PROGRAM}: ${message}\n`);
  const path = resolve(context.cwd, argv.hosts);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${argv.hosts}: ${(error as Error).message}`);
  }
  const file = parseHostsFile(text, argv.hosts);
  const server = argv.server ? normalizeServerUrl(argv.server) : file.server;
  const localPort = argv['local-port'];
  if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535)
    throw new UsageError('--local-port must be 1..65535');
  if (!(argv['stop-grace'] >= 0)) throw new UsageError('--stop-grace must be a number of seconds >= 0');

  const launch = await launchRemoteWorkers(file.hosts, {
    ...(server ? { server } : { reverseTunnel: { localPort } }),
    ...(context.env.SSH_AUTH_SOCK ? { agent: context.env.SSH_AUTH_SOCK } : {}),
    acceptNewHostKey: argv['accept-new-host-key'],
    askPassphrase: (keyPath: string) =>
      context.env.BOTTLE_SSH_PASSPHRASE !== undefined
        ? Promise.resolve(context.env.BOTTLE_SSH_PASSPHRASE)
        : askPassphraseOnTty(keyPath),
    stopGraceMs: Math.round(argv['stop-grace'] * 1000),
    onLine: (label, line) => context.stdout(`[${label}] ${line}\n`),
    // Unreachable hosts are reported by the library's warning (the logger), with the reason.
    onExit: (label, { code, signal }) =>
      say(`[${label}] worker ended (${code ?? signal ?? 'connection closed'})`),
    logger,
  });
  const running = launch.hosts.filter((host) => host.state === 'running');
  say(
    `${running.length} of ${launch.hosts.length} worker${launch.hosts.length === 1 ? '' : 's'} started` +
      (running.length > 0 ? ' (Ctrl-C stops them all)' : ''),
  );
  let interrupted = false;
  const removeHandlers = onStopSignals(
    () => {
      interrupted = true;
      say('stopping every worker (Ctrl-C again to hang up at once)');
      void launch.stop();
    },
    // Closing this process drops every SSH connection: sshd hangs up the remote terminals (SIGHUP).
    () => process.exit(exitCodes.interrupted),
  );
  try {
    const hosts = await launch.done;
    return interrupted ? exitCodes.interrupted : exitCodeOf(hosts, context);
  } finally {
    removeHandlers();
  }
}

/** The --slurm options given to an SSH launch, which would otherwise be ignored. */
function slurmOptionsGiven(argv: LaunchArgs): string[] {
  const given = (
    [
      ['--array', argv.array !== 1],
      ['-x', argv.x !== 1],
      ['-t', argv.t],
      ['--dry-run', argv['dry-run']],
      ['--status', argv.status],
      ['--cancel', argv.cancel],
      ['--job-name', argv['job-name'] !== 'bottle-worker'],
      ['--output', argv.output !== 'bottle-worker-%A_%a.out'],
      ['--signal-before', argv['signal-before'] !== 60],
    ] as const
  ).filter(([, set]) => set);
  const named = (
    [
      'time',
      'partition',
      'mem',
      'gres',
      'account',
      'qos',
      'sbatch-arg',
      'worker-arg',
      'worker-command',
      'script-out',
    ] as const
  ).filter((key) => argv[key] !== undefined);
  return [...given.map(([name]) => name), ...named.map((key) => `--${key}`)];
}

function exitCodeOf(hosts: readonly LaunchedHost[], context: CliContext): number {
  const failed = hosts.filter((host) => host.state === 'unreachable' || host.exit?.code !== 0);
  if (failed.length === 0) return exitCodes.ok;
  const names = failed.map((host) => host.label).join(', ');
  context.stderr(`${PROGRAM}: ${failed.length} of ${hosts.length} hosts failed: ${names}\n`);
  return exitCodes.failure;
}
