import { connect as netConnect } from 'node:net';
import { BottleError, isBottleError } from '@bottle/protocol';
import type { Client, ClientChannel } from 'ssh2';
import { type SshLog, sshLog } from './_log.js';
import { connectSsh } from './connect.js';
import type { RemoteHost } from './hosts-file.js';
import type { SshConnectOptions } from './options.js';
import { resolveTarget } from './target.js';

/** Options shared by every host of a launch; per-host fields (user, port, identity) come from the entry. */
export interface LaunchOptions extends Omit<SshConnectOptions, 'target' | 'user' | 'port' | 'identity'> {
  /** Server URL for hosts that do not give their own `server`. */
  server?: string;
  /**
   * When a host has no `server` (and none is given above): forward a port on the remote host's
   * 127.0.0.1 back to this local server, like `ssh -R`, and point the worker at it.
   */
  reverseTunnel?: { localPort: number; localHost?: string; remotePort?: number };
  /** Each line a remote command prints (with a pty, stdout and stderr arrive together as stdout). */
  onLine?: (label: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** A host that could not be reached or started; the others go on. */
  onHostError?: (label: string, error: BottleError) => void;
  /** A remote command ended. */
  onExit?: (label: string, result: { code: number | null; signal: string | null }) => void;
  /** Run commands in a pseudo-terminal (default): Ctrl-C and hangups reach the whole remote process group. */
  pty?: boolean;
  /** How long `stop()` waits after the interrupt before closing channels. */
  stopGraceMs?: number;
}

export const launchDefaults = {
  command: 'npx bottle-worker',
  slots: 1,
  pty: true,
  stopGraceMs: 10_000,
} as const;

export interface LaunchedHost {
  label: string;
  state: 'running' | 'exited' | 'unreachable';
  error?: BottleError;
  exit?: { code: number | null; signal: string | null };
  /** The command line run remotely (for logs). */
  command?: string;
}

export interface RemoteLaunch {
  readonly hosts: readonly LaunchedHost[];
  /** Settles once every started remote command has ended. */
  readonly done: Promise<readonly LaunchedHost[]>;
  /** Interrupts every remote command (Ctrl-C through the pty, or an INT signal), waits, then closes. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `command <server-url> -x <slots>` on each host over SSH, streams output line by line,
 * and reports hosts that cannot be reached without stopping the others.
 */
export async function launchRemoteWorkers(
  hosts: RemoteHost[],
  options: LaunchOptions = {},
): Promise<RemoteLaunch> {
  const log = sshLog(options.logger, 'launch: ');
  const labels = uniqueLabels(hosts);
  const sessions = await Promise.all(
    hosts.map((host, i) => startHost(host, labels[i] as string, options, log)),
  );
  const done = Promise.all(sessions.map((s) => s.ended)).then(() => sessions.map((s) => s.info));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= Promise.all(sessions.map((s) => s.stop())).then(() => undefined);
    return stopping;
  };
  return { hosts: sessions.map((s) => s.info), done, stop, [Symbol.asyncDispose]: stop };
}

interface Session {
  info: LaunchedHost;
  ended: Promise<void>;
  stop(): Promise<void>;
}

async function startHost(
  host: RemoteHost,
  label: string,
  options: LaunchOptions,
  log: SshLog,
): Promise<Session> {
  const info: LaunchedHost = { label, state: 'running' };
  let client: Client | undefined;
  try {
    const target = resolveTarget({
      ...options,
      target: host.host,
      user: host.user,
      port: host.port,
      identity: host.identity,
    });
    client = await connectSsh(target, { ...options, target: host.host }, log);
    const server = host.server ?? options.server ?? (await reverseForward(client, options, label, log));
    const command = remoteCommandLine(host, server);
    info.command = command;
    const channel = await exec(client, command, options.pty ?? launchDefaults.pty);
    log.info(`[${label}] started: ${command}`);
    return watch(client, channel, info, options, log);
  } catch (error) {
    client?.end();
    const failure = isBottleError(error)
      ? error
      : new BottleError(
          'ERR_SSH_CONNECT',
          `Cannot start the worker on ${label}: ${(error as Error).message}`,
          { cause: error },
        );
    info.state = 'unreachable';
    info.error = failure;
    log.warn(`[${label}] ${failure.message}`);
    options.onHostError?.(label, failure);
    return { info, ended: Promise.resolve(), stop: async () => {} };
  }
}

function exec(client: Client, command: string, pty: boolean): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    // TERM=dumb: a remote worker with a pty must not draw progress bars into our line stream.
    client.exec(command, pty ? { pty: { term: 'dumb', cols: 200, rows: 50 } } : {}, (error, channel) =>
      error ? reject(error) : resolve(channel),
    );
  });
}

function watch(
  client: Client,
  channel: ClientChannel,
  info: LaunchedHost,
  options: LaunchOptions,
  log: SshLog,
): Session {
  const label = info.label;
  const emit = (stream: 'stdout' | 'stderr') => {
    let rest = '';
    return {
      push(chunk: Buffer | string) {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) print(line, stream);
      },
      flush() {
        if (rest) print(rest, stream);
        rest = '';
      },
    };
  };
  const print = (raw: string, stream: 'stdout' | 'stderr') => {
    const line = raw.replace(/\r$/, '');
    if (options.onLine) options.onLine(label, line, stream);
    else log.info(`[${label}] ${line}`);
  };
  const out = emit('stdout');
  const err = emit('stderr');
  channel.on('data', (chunk: Buffer) => out.push(chunk));
  channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  client.on('error', (error) => log.debug(`[${label}] connection error: ${error.message}`));
  channel.on('exit', (code: number | null, signal?: string) => {
    info.exit = { code: code ?? null, signal: signal ?? null };
  });
  const ended = new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      out.flush();
      err.flush();
      info.state = 'exited';
      info.exit ??= { code: null, signal: null };
      log.debug(`[${label}] ended (${info.exit.code ?? info.exit.signal ?? 'connection closed'})`);
      options.onExit?.(label, info.exit);
      client.end();
      resolve();
    };
    channel.once('close', finish);
    // A dropped connection does not always close its channels first.
    client.once('close', finish);
  });

  const stop = async () => {
    if (info.state !== 'running') return;
    const pty = options.pty ?? launchDefaults.pty;
    try {
      // With a pty, ^C reaches the remote foreground process group, like Ctrl-C in `ssh -t`.
      // Without one, the signal request (OpenSSH >= 7.9) reaches the command, which `exec` made the session's process.
      if (pty) channel.write('\x03');
      else channel.signal('INT');
    } catch (error) {
      log.debug(`[${label}] interrupt failed: ${(error as Error).message}`);
    }
    const graceMs = options.stopGraceMs ?? launchDefaults.stopGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      ended.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      log.warn(`[${label}] still running ${graceMs} ms after the interrupt: closing the session (SIGHUP)`);
      channel.close();
      client.end();
      await ended;
    }
  };
  return { info, ended, stop };
}

/** `cd <cwd> && exec env K=V… <command> <server> -x <slots> <args…>`; values single-quoted for the remote shell. */
export function remoteCommandLine(host: RemoteHost, server: string): string {
  const env = Object.entries(host.env ?? {}).map(([key, value]) => `${key}=${shellQuote(value)}`);
  const args = [
    shellQuote(server),
    '-x',
    String(host.slots ?? launchDefaults.slots),
    ...(host.args ?? []).map(shellQuote),
  ];
  const run = `exec ${env.length ? `env ${env.join(' ')} ` : ''}${host.command ?? launchDefaults.command} ${args.join(' ')}`;
  return host.cwd ? `cd ${shellQuote(host.cwd)} && ${run}` : run;
}

export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `ssh -R`: a port on the remote 127.0.0.1 that leads back to the local server. */
async function reverseForward(
  client: Client,
  options: LaunchOptions,
  label: string,
  log: SshLog,
): Promise<string> {
  const reverse = options.reverseTunnel;
  if (!reverse) {
    throw new BottleError(
      'ERR_USAGE',
      `No server URL for ${label}: give "server" in the hosts file or a default one.`,
    );
  }
  const localHost = reverse.localHost ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    client.forwardIn('127.0.0.1', reverse.remotePort ?? 0, (error, bound) =>
      error
        ? reject(
            new BottleError('ERR_SSH_FORWARD', `${label} refused the reverse forward: ${error.message}`, {
              cause: error,
            }),
          )
        : resolve(bound || (reverse.remotePort ?? 0)),
    );
  });
  client.on('tcp connection', (_details, accept) => {
    const channel = accept();
    const socket = netConnect(reverse.localPort, localHost);
    socket.on('error', (error) => {
      log.debug(`[${label}] reverse forward to ${localHost}:${reverse.localPort}: ${error.message}`);
      channel.close();
    });
    channel.on('error', () => socket.destroy());
    socket.pipe(channel).pipe(socket);
    channel.once('close', () => socket.destroy());
  });
  log.debug(`[${label}] remote 127.0.0.1:${port} -> ${localHost}:${reverse.localPort}`);
  return `http://127.0.0.1:${port}`;
}

function uniqueLabels(hosts: RemoteHost[]): string[] {
  const seen = new Map<string, number>();
  return hosts.map((host) => {
    const base = host.label ?? host.host;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}#${count}`;
  });
}
