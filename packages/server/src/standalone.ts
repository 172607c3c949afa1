/** `startBottleServer`: the router in its own HTTP server, with a draining `close()`. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BottleError, DEFAULT_PORT, redactUrl, type SubmitResponse } from '@bottle/protocol';
import express from 'express';
import { loadPostgres } from './_load-postgres.js';
import { tokenOrSession } from './dashboard/session.js';
import { emitTokenRefused } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import { type BottleRouterOptions, routerOptionKeys } from './http/options.js';
import { reachableUrl } from './http/reachable.js';
import { type BottleRouter, createBottleRouter } from './http/router.js';
import { defaultLogger } from './logger.js';
import { isPostgresUrl } from './postgres/_url.js';
import { SqliteStore } from './sqlite/store.js';
import type { Clock } from './store/clock.js';
import { defaultQueuePolicy, type QueuePolicy } from './store/policy.js';
import type { Store } from './store/store.js';

/** The queue policy of the store the server opens (`requireUpload` follows `gatherDir`). */
type ServerPolicyOptions = Partial<Omit<QueuePolicy, 'requireUpload'>>;
const policyKeys = Object.keys(defaultQueuePolicy).filter((key) => key !== 'requireUpload');

export interface BottleServerOptions extends Omit<BottleRouterOptions, 'store'>, ServerPolicyOptions {
  /**
   * A store to serve; when absent, a SqliteStore is opened on `db` with the policy options below
   * (and closed by `close()`). A store you give has its own policy: the policy options are refused.
   */
  store?: Store;
  /** 0 picks a free port. */
  port?: number;
  /** Binding beyond loopback without a token logs a loud warning. */
  host?: string;
  /**
   * SQLite file, created if missing, or a `postgres://` URL (a PostgresStore, for several servers
   * on one queue); ignored when `store` is given.
   */
  db?: string;
  /** How long `close()` lets in-flight requests finish before cutting connections. */
  stopGraceMs?: number;
  /**
   * The time the store the server opens runs on (leases, backoffs, expiry, waiting claims, the
   * progress monitor): tests set it. A store you give brings its own clock.
   */
  clock?: Clock;
}

export const serverDefaults = {
  port: DEFAULT_PORT,
  host: '127.0.0.1',
  db: 'bottle.db',
  stopGraceMs: 10_000,
} as const satisfies Partial<BottleServerOptions>;

export interface BottleServer {
  /**
   * `http://host:port`, without a trailing slash: the address to give workers. Bound to every
   * interface (0.0.0.0, ::), it names this machine's first external address rather than 0.0.0.0.
   */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly store: Store;
  readonly router: BottleRouter;
  /** The one way in for submits: validates, commits and answers waiting claims (`router.submit`). */
  submit(request: unknown): Promise<SubmitResponse>;
  /** Stops accepting, answers waiting claims empty, drains in-flight requests, closes the store it opened. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** With --gather: the longest one request (an output upload) may take. */
const UPLOAD_REQUEST_TIMEOUT_MS = 60 * 60 * 1000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startBottleServer(options: BottleServerOptions = {}): Promise<BottleServer> {
  const serverKeys = Object.keys(serverDefaults);
  for (const key of Object.keys(options)) {
    if (key === 'drainTimeoutMs')
      throw new TypeError(`startBottleServer: option 'drainTimeoutMs' is now 'stopGraceMs'`);
    if (
      !routerOptionKeys.includes(key) &&
      !serverKeys.includes(key) &&
      !policyKeys.includes(key) &&
      key !== 'clock'
    ) {
      throw new TypeError(`startBottleServer: unknown option '${key}'`);
    }
  }
  const {
    port,
    host,
    db,
    stopGraceMs,
    store: givenStore,
    leaseMs,
    maxAttempts,
    retryBackoffMs,
    maxRetryBackoffMs,
    clock,
    ...routerOptions
  } = {
    ...serverDefaults,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as typeof serverDefaults & BottleServerOptions;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`startBottleServer: option 'port' must be an integer 0..65535, got ${String(port)}`);
  }
  if (typeof host !== 'string' || host.length === 0)
    throw new TypeError(`startBottleServer: option 'host' must be a string`);

  const policy = { leaseMs, maxAttempts, retryBackoffMs, maxRetryBackoffMs };
  if (givenStore && [...Object.values(policy), clock].some((v) => v !== undefined)) {
    throw new TypeError(
      `startBottleServer: options ${policyKeys.join(', ')} and clock configure the store the server opens; set them on the store you pass`,
    );
  }
  const storeClock = clock === undefined ? {} : { clock };
  const storePolicy = { ...policy, requireUpload: routerOptions.gatherDir !== undefined };
  let store: Store;
  if (givenStore) store = givenStore;
  else if (isPostgresUrl(db)) {
    const { PostgresStore } = await loadPostgres();
    const postgres = new PostgresStore({ connectionString: db, policy: storePolicy, ...storeClock });
    // A wrong URL, a refused login or someone else's tables stop the start, not the first request.
    await postgres.ready().catch(async (error: unknown) => {
      await postgres.close();
      throw error;
    });
    store = postgres;
  } else store = new SqliteStore(db, { policy: storePolicy, ...storeClock });
  const closeOwnStore = () => (givenStore ? Promise.resolve() : store.close());
  let router: BottleRouter;
  try {
    router = createBottleRouter({ ...routerOptions, store });
  } catch (error) {
    await closeOwnStore();
    throw error;
  }
  const logger = router.settings.logger ?? defaultLogger;

  const app = express();
  app.disable('x-powered-by');
  let inFlight = 0;
  let drained: (() => void) | undefined;
  app.use((_req, res, next) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    next();
  });
  // Also guards unknown routes, so that a client without the token learns nothing about them.
  if (router.settings.token !== undefined) {
    const guard = tokenOrSession(router.settings.token, emitTokenRefused(router.settings.onEvent));
    // The dashboard's page and login are public (they hold no data); its data routes are not.
    const isPublic = (path: string) =>
      router.settings.dashboard && (path === '/' || path.startsWith('/dashboard/'));
    app.use((req, res, next) => (isPublic(req.path) ? next() : guard(req, res, next)));
  }
  app.use(router);
  app.use(notFound);
  app.use(errorHandler(logger));

  const server = createServer(app);
  // Node's default (5 minutes for a whole request) would cut the upload of a large output on a slow link.
  if (router.settings.gatherDir !== undefined) server.requestTimeout = UPLOAD_REQUEST_TIMEOUT_MS;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await router.close();
    await closeOwnStore();
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new BottleError(
      'ERR_UNAVAILABLE',
      `cannot listen on ${host}:${port} (${code}); choose another port or host`,
      {
        cause: error,
      },
    );
  }
  const bound = (server.address() as AddressInfo).port;
  const listen = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  const url = reachableUrl(host, bound);
  if (!isLoopback(host) && router.settings.token === undefined) {
    logger.warn(
      `!!! LISTENING ON ${host}:${bound} WITHOUT A TOKEN: anyone who can reach this port can read, add and cancel tasks. ` +
        'Set a token (--token or BOTTLE_TOKEN), or bind 127.0.0.1 and reach it through the SSH tunnel. !!!',
    );
  }
  router.settings.onEvent({
    type: 'server.started',
    url,
    listen,
    // A database URL is shown without its password: logs are read by more people than the database.
    db: store instanceof SqliteStore ? store.path : givenStore ? null : redactUrl(db),
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await router.close();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stopGraceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await stopped;
      await closeOwnStore();
      router.settings.onEvent({ type: 'server.stopped' });
    })();
    return closing;
  };

  return {
    url,
    host,
    port: bound,
    store,
    router,
    submit: (request) => router.submit(request),
    close,
    [Symbol.asyncDispose]: close,
  };
}
