import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { BottleError, DEFAULT_PORT, DEFAULT_TUNNEL_PORT, isBottleError } from '@bottle/protocol';
import type { Client } from 'ssh2';
import { type SshLog, sshLog } from './_log.js';
import { connectSsh } from './connect.js';
import type { SshConnectOptions } from './options.js';
import { instanceViaPort, instanceViaSsh } from './shared-port.js';
import { type ResolvedTarget, resolveTarget } from './target.js';

/** Reconnection after a dropped link: exponential backoff from `initialDelayMs` up to `maxDelayMs`. */
export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts per outage before the tunnel gives up ('error' event); default: never give up. */
  maxAttempts?: number;
}

/** `ssh -N -L localPort:remoteHost:remotePort target`, in-process. */
export interface TunnelOptions extends SshConnectOptions {
  /**
   * Local port on 127.0.0.1; 0 picks a free one (read it from `localPort` on the result). A port
   * already forwarding to the same server is shared; one taken otherwise gives way to a free one.
   */
  localPort?: number;
  /** Where the SSH host connects to for each forwarded socket; resolved on the SSH host. */
  remoteHost?: string;
  remotePort?: number;
  /** true (default) for the default backoff, false to stop at the first drop. */
  reconnect?: boolean | ReconnectOptions;
  /** How long a local socket accepted while the link is down waits for it before being closed. */
  waitForConnectionMs?: number;
}

export const tunnelDefaults = {
  localPort: DEFAULT_TUNNEL_PORT,
  remoteHost: 'localhost',
  remotePort: DEFAULT_PORT,
  reconnect: { initialDelayMs: 250, maxDelayMs: 15_000, maxAttempts: Number.POSITIVE_INFINITY },
  waitForConnectionMs: 30_000,
} satisfies Partial<TunnelOptions>;

/** The events of an {@link SshTunnel}; names are `noun.verb`, as the worker's and the server's are. */
export interface SshTunnelEvents {
  /** The SSH connection is up again after a drop (not emitted for the first connection). */
  'tunnel.connected': [{ target: string }];
  'tunnel.disconnected': [{ reason: string }];
  'tunnel.reconnecting': [{ attempt: number; delayMs: number }];
  /** The tunnel gave up (host key changed, authentication refused, attempts exhausted); it stays listening but fails every socket. */
  'tunnel.failed': [BottleError];
}

export interface SshTunnel {
  /** The bound local port (the actual one when 0 was asked). */
  readonly localPort: number;
  /** `http://127.0.0.1:<localPort>`. */
  readonly localUrl: string;
  /** Whether the SSH connection is up right now. */
  readonly connected: boolean;
  /** True when the local port was already forwarding to the same server, and is used as is. */
  readonly shared: boolean;
  on<E extends keyof SshTunnelEvents>(event: E, listener: (...args: SshTunnelEvents[E]) => void): this;
  off<E extends keyof SshTunnelEvents>(event: E, listener: (...args: SshTunnelEvents[E]) => void): this;
  /** Stops listening, closes forwarded sockets and the SSH connection. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens a local forward 127.0.0.1:localPort -> remoteHost:remotePort through one shared SSH
 * connection. Resolves once the first connection is authenticated and the port is bound.
 */
export async function openTunnel(options: TunnelOptions): Promise<SshTunnel> {
  const target = resolveTarget(options);
  const log = sshLog(options.logger, 'ssh: ');
  const client = await connectSsh(target, options, log);
  const tunnel = new Tunnel(target, options, log, client);
  const port = options.localPort ?? tunnelDefaults.localPort;
  try {
    await tunnel.listen(port);
  } catch (error) {
    if (!isPortTaken(error)) {
      await tunnel.close();
      throw error;
    }
    // Taken: by a tunnel to the same server (use it), or by something else (take a free port).
    const remoteHost = options.remoteHost ?? tunnelDefaults.remoteHost;
    const remotePort = options.remotePort ?? tunnelDefaults.remotePort;
    const [there, here] = await Promise.all([
      instanceViaPort(port),
      instanceViaSsh(client, remoteHost, remotePort),
    ]);
    if (there !== undefined && there === here) {
      await tunnel.close();
      log.info(`127.0.0.1:${port} already forwards to this server: using it`);
      return new SharedTunnel(port);
    }
    try {
      await tunnel.listen(0);
    } catch (again) {
      await tunnel.close();
      throw again;
    }
    log.info(
      `127.0.0.1:${port} is taken by another program or a tunnel to another server: ` +
        `this tunnel listens on 127.0.0.1:${tunnel.localPort} instead`,
    );
  }
  return tunnel;
}

function isPortTaken(error: unknown): boolean {
  return (
    isBottleError(error, 'ERR_SSH_FORWARD') &&
    (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
  );
}

/**
 * A tunnel another process keeps open to the same server: this worker only uses its port. Its
 * connection is that process's, so it has no events of its own here, and closing it does nothing.
 */
class SharedTunnel extends EventEmitter implements SshTunnel {
  readonly shared = true;
  readonly connected = true;
  constructor(readonly localPort: number) {
    super();
  }
  get localUrl(): string {
    return `http://127.0.0.1:${this.localPort}`;
  }
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

type Waiter = { resolve: (client: Client) => void; reject: (error: Error) => void };

class Tunnel extends EventEmitter implements SshTunnel {
  localPort = 0;
  readonly shared = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<Waiter>();
  private client: Client | undefined;
  private closed = false;
  private failure: BottleError | undefined;
  private cancelSleep: (() => void) | undefined;
  private refusedWarned = false;
  private readonly remoteHost: string;
  private readonly remotePort: number;
  private readonly reconnect: Required<ReconnectOptions> | undefined;

  constructor(
    private readonly target: ResolvedTarget,
    private readonly options: TunnelOptions,
    private readonly log: SshLog,
    client: Client,
  ) {
    super();
    this.remoteHost = options.remoteHost ?? tunnelDefaults.remoteHost;
    this.remotePort = options.remotePort ?? tunnelDefaults.remotePort;
    const reconnect = options.reconnect ?? true;
    this.reconnect =
      reconnect === false
        ? undefined
        : { ...tunnelDefaults.reconnect, ...(reconnect === true ? {} : reconnect) };
    this.attach(client);
    this.server = createServer((socket) => this.forward(socket));
  }

  get localUrl(): string {
    return `http://127.0.0.1:${this.localPort}`;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new BottleError(
            'ERR_SSH_FORWARD',
            `Cannot listen on 127.0.0.1:${port} for the tunnel (${error.code ?? error.message}). ` +
              'Another tunnel or program holds the port: pick another with --local-port, or 0 for any free port.',
            { cause: error },
          ),
        );
      });
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        this.localPort = typeof address === 'object' && address ? address.port : port;
        this.log.debug(
          `listening on ${this.localUrl} -> ${this.target.target} ${this.remoteHost}:${this.remotePort}`,
        );
        resolve();
      });
    });
  }

  private attach(client: Client): void {
    this.client = client;
    // A late error (reset, keepalive timeout) is followed by 'close'; without a listener it would crash the process.
    client.on('error', (error) => this.log.debug(`connection error: ${error.message}`));
    client.once('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.closed) return;
      this.log.warn(`SSH connection to ${this.target.target} dropped`);
      this.emit('tunnel.disconnected', { reason: 'connection closed' });
      void this.reconnectLoop();
    });
  }

  private async reconnectLoop(): Promise<void> {
    if (!this.reconnect) {
      this.fail(
        new BottleError(
          'ERR_SSH_CONNECT',
          `SSH connection to ${this.target.target} dropped (reconnect is off).`,
        ),
      );
      return;
    }
    const { initialDelayMs, maxDelayMs, maxAttempts } = this.reconnect;
    for (let attempt = 1; !this.closed; attempt++) {
      if (attempt > maxAttempts) {
        this.fail(
          new BottleError(
            'ERR_SSH_CONNECT',
            `Gave up reconnecting to ${this.target.target} after ${maxAttempts} attempts.`,
          ),
        );
        return;
      }
      // Full backoff with a little jitter, so that many workers do not reconnect in lockstep.
      const delayMs = Math.round(
        Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() / 4),
      );
      this.emit('tunnel.reconnecting', { attempt, delayMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.cancelSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.cancelSleep = undefined;
      if (this.closed) return;
      try {
        const client = await connectSsh(this.target, this.options, this.log);
        if (this.closed) {
          client.end();
          return;
        }
        this.attach(client);
        this.log.info(`SSH connection to ${this.target.target} restored (attempt ${attempt})`);
        for (const waiter of this.waiters) waiter.resolve(client);
        this.waiters.clear();
        this.emit('tunnel.connected', { target: this.target.target });
        return;
      } catch (error) {
        // A changed host key or a refused login will not fix itself: stop instead of hammering the server.
        if (isBottleError(error) && error.code !== 'ERR_SSH_CONNECT') {
          this.fail(error);
          return;
        }
        this.log.debug(`reconnect attempt ${attempt} failed: ${(error as Error).message}`);
      }
    }
  }

  private fail(error: BottleError): void {
    this.failure = error;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
    if (this.listenerCount('tunnel.failed') > 0) this.emit('tunnel.failed', error);
    else this.log.warn(error.message);
  }

  private connection(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('tunnel closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.waitForConnectionMs ?? tunnelDefaults.waitForConnectionMs;
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`SSH connection not restored within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (client) => {
          clearTimeout(timer);
          resolve(client);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private forward(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A local peer reset must not become an uncaught exception.
    socket.on('error', (error) => this.log.debug(`local socket: ${error.message}`));
    this.connection().then(
      (client) => {
        if (socket.destroyed) return;
        try {
          client.forwardOut(
            socket.remoteAddress ?? '127.0.0.1',
            socket.remotePort ?? 0,
            this.remoteHost,
            this.remotePort,
            (error, channel) => {
              if (error) {
                // Said once per streak: a wrong --remote-port or a stopped server fails every request alike.
                const say = this.refusedWarned ? this.log.debug : this.log.warn;
                this.refusedWarned = true;
                say(
                  `the SSH host refused to connect to ${this.remoteHost}:${this.remotePort} (${error.message}): ` +
                    'is the server running there, on that port?',
                );
                // Not destroy(error): that would surface as an unhandled error on the socket.
                socket.destroy();
                return;
              }
              this.refusedWarned = false;
              if (socket.destroyed) {
                channel.close();
                return;
              }
              channel.on('error', (e: Error) => this.log.debug(`channel: ${e.message}`));
              socket.pipe(channel).pipe(socket);
              channel.once('close', () => socket.destroy());
              socket.once('close', () => channel.close());
            },
          );
        } catch (error) {
          this.log.debug(`forward failed: ${(error as Error).message}`);
          socket.destroy();
        }
      },
      (error: Error) => {
        this.log.debug(`closing a local socket: ${error.message}`);
        socket.destroy();
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelSleep?.();
    for (const waiter of this.waiters) waiter.reject(new Error('tunnel closed'));
    this.waiters.clear();
    const serverClosed = this.server.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    // Keep-alive HTTP agents hold sockets open; server.close() would wait for them forever.
    for (const socket of this.sockets) socket.destroy();
    await serverClosed;
    const client = this.client;
    this.client = undefined;
    if (client) {
      const ended = new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        setTimeout(resolve, 2_000).unref();
      });
      client.end();
      await ended;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
