import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_PORT } from '@bottle/protocol';
import { type LaunchedHost, launchRemoteWorkers, parseHostsFile } from '@bottle/worker';
import type { Argv } from 'yargs';
import { type CliContext, contextLogger } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { normalizeServerUrl } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import { askPassphraseOnTty } from '../_tty.js';

const PROGRAM = 'bottle launch';

export const launchCommand = {
  command: 'launch <hosts>',
  describe: 'Start a worker on each host of a hosts.json file over SSH and stream their output',
  builder: <T>(yargs: Argv<T>) =>
    yargs
      .positional('hosts', {
        type: 'string',
        demandOption: true,
        description: 'JSON file listing the hosts (format: docs/cli.md, docs/ssh.md)',
      })
      .option('server', {
        alias: 's',
        type: 'string',
        description:
          "Server URL as the remote hosts see it, for entries without their own (default: the file's server)",
      })
      .option('local-port', {
        type: 'number',
        default: DEFAULT_PORT,
        description:
          'With no server URL at all: the port of the server on this machine, reached from each host through a reverse tunnel (ssh -R)',
      })
      .option('accept-new-host-key', {
        type: 'boolean',
        default: false,
        description: 'Record unknown SSH host keys (a changed key is always refused)',
      })
      .option('stop-grace', {
        type: 'number',
        default: 10,
        description: 'Seconds a worker may take to stop after Ctrl-C before its session is closed',
      })
      .example('$0 launch hosts.json', 'start the workers listed in hosts.json')
      .example('$0 launch hosts.json -s http://10.0.0.1:1988', 'point every host at that URL')
      .epilog(
        'hosts.json is a list of entries, or {"server": URL, "defaults": {...}, "hosts": [...]}. An entry is a ' +
          'target ("host", "user@host:port" or a ~/.ssh/config alias) or an object with "host" and optionally ' +
          '"user", "port", "identity", "cwd", "slots", "env", "command" (default: npx bottle-worker), "args", ' +
          '"server" and "label". Each host runs, in a pseudo-terminal: cd <cwd> && exec env K=V... <command> ' +
          '<server> -x <slots> <args...>. Without any server URL, each host reaches the server on this ' +
          "machine's --local-port through a reverse tunnel. See docs/ssh.md.",
      ),
};

type LaunchArgs = Awaited<ReturnType<ReturnType<typeof launchCommand.builder>['parseAsync']>>;

/**
 * `bottle launch hosts.json`: one SSH session per host runs `bottle-worker`; every line comes back
 * prefixed by its host. A host that cannot be reached is reported and the others go on; the exit
 * code is 1 if any host failed (unreachable or a non-zero exit), 130 after Ctrl-C.
 */
export async function runLaunch(argv: LaunchArgs, context: CliContext): Promise<number> {
  // The library prefixes its own lines with 'launch: '.
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

function exitCodeOf(hosts: readonly LaunchedHost[], context: CliContext): number {
  const failed = hosts.filter((host) => host.state === 'unreachable' || host.exit?.code !== 0);
  if (failed.length === 0) return exitCodes.ok;
  const names = failed.map((host) => host.label).join(', ');
  context.stderr(`${PROGRAM}: ${failed.length} of ${hosts.length} hosts failed: ${names}\n`);
  return exitCodes.failure;
}
