/** The router's options: one interface, one defaults object, validated once. */
import { BottleError, type BottleLogger } from '@bottle/protocol';
import { version } from '../_version.js';
import { eventsToLogger } from '../events/describe.js';
import { eventFanOut, type ServerEventListener } from '../events/types.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../gather/receive.js';
import { defaultLogger } from '../logger.js';
import { type NotifyOptions, resolveNotifyOptions } from '../notify/webhooks.js';
import type { Store } from '../store/store.js';

export interface BottleRouterOptions {
  /**
   * Where tasks live (required): a `SqliteStore` or another `Store`. The queue policy (lease length,
   * attempts, backoff) is the store's, set when it is opened.
   */
  store: Store;
  /** When set, every route needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** How often workers are told to heartbeat (default: a third of the store's `leaseMs`). */
  heartbeatMs?: number;
  /** How often expired leases are swept back into the queue (claims also sweep). */
  expiryCheckMs?: number;
  /** Largest request body, counted after decompression: '512KiB', '16MiB' or a number of bytes. */
  bodyLimit?: string | number;
  /** Longest a claim may wait for work, whatever `waitMs` it asks. */
  maxClaimWaitMs?: number;
  /** Most tasks the legacy `GET /tasks` and `GET /alltasks` list. */
  legacyListLimit?: number;
  logger?: BottleLogger;
  /** Reported by `/healthz`. */
  version?: string;
  /**
   * Gather outputs in this directory (`--gather`): workers upload each finished task's output, kept in
   * `<gatherDir>/<paramsHash>/`, and a task is recorded done only after its upload is committed
   * (the store must be opened with `policy.requireUpload`; startBottleServer does it).
   */
  gatherDir?: string | undefined;
  /** Largest output archive of one task, in bytes (`--max-upload`; default 1 GiB). */
  maxUploadBytes?: number;
  /**
   * With a store shared by several servers (PostgreSQL), `gatherDir` is refused unless this says
   * that every server sees the same directory (`--gather-shared`): an output uploaded to one server
   * must be readable by all, or a sweep loses outputs.
   */
  gatherShared?: boolean;
  /**
   * Told of each event worth a log line (workers joining and leaving, failures, lost leases, refused
   * tokens, scans submitted and finished): `createEventLog().onEvent` writes them with pino.
   * Default: one line each to `logger`.
   */
  onEvent?: ServerEventListener | undefined;
  /**
   * A worker not heard from for this long is `stale` (holding leases) or `stopped` (holding none).
   * Default: `maxClaimWaitMs` + 2 heartbeats, since an idle worker is heard from at each claim.
   */
  staleWorkerMs?: number | undefined;
  /** Serve Prometheus metrics at `/metrics` (behind the token like every route). Default true. */
  metrics?: boolean;
  /**
   * Serve the web dashboard at `/` and its event stream at `/v1/events`. Default true. With a token,
   * the page asks for it once and keeps an HttpOnly, SameSite=Strict session cookie.
   */
  dashboard?: boolean;
  /**
   * Webhooks: POST a JSON event to each URL when a scan ends (and, with `taskFailures`, when a task
   * fails for good), signed with `secret`, retried, never holding up the queue. See docs/notify.md.
   */
  notify?: NotifyOptions | undefined;
}

export const routerDefaults = {
  token: undefined,
  heartbeatMs: undefined,
  expiryCheckMs: 1_000,
  bodyLimit: '16MiB',
  maxClaimWaitMs: 60_000,
  legacyListLimit: 10_000,
  logger: defaultLogger,
  version,
  gatherDir: undefined,
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
  gatherShared: false as boolean,
  onEvent: undefined,
  staleWorkerMs: undefined,
  metrics: true,
  dashboard: true,
  notify: undefined,
} satisfies Omit<
  Required<BottleRouterOptions>,
  'store' | 'token' | 'heartbeatMs' | 'gatherDir' | 'onEvent' | 'staleWorkerMs' | 'notify'
> & {
  notify: undefined;
  token: undefined;
  heartbeatMs: undefined;
  gatherDir: undefined;
  onEvent: undefined;
  staleWorkerMs: undefined;
};

export interface ResolvedRouterOptions {
  store: Store;
  token: string | undefined;
  heartbeatMs: number;
  expiryCheckMs: number;
  bodyLimit: string | number;
  maxClaimWaitMs: number;
  legacyListLimit: number;
  logger: BottleLogger;
  version: string;
  gatherDir: string | undefined;
  maxUploadBytes: number;
  gatherShared: boolean;
  /** Never throws: listeners' errors are dropped. */
  onEvent: ServerEventListener;
  staleWorkerMs: number;
  metrics: boolean;
  dashboard: boolean;
  notify: Required<NotifyOptions> | undefined;
}

export const routerOptionKeys: readonly string[] = ['store', ...Object.keys(routerDefaults)];

/** Merges the defaults and checks every option; a bad one is a TypeError that names it. */
export function resolveRouterOptions(
  options: BottleRouterOptions,
  who = 'createBottleRouter',
): ResolvedRouterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${who}: options must be an object with at least 'store'`);
  }
  for (const key of Object.keys(options)) {
    if (!routerOptionKeys.includes(key)) throw new TypeError(`${who}: unknown option '${key}'`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = { ...routerDefaults, ...defined } as typeof routerDefaults & BottleRouterOptions;
  const { store } = merged;
  if (typeof store !== 'object' || store === null || typeof store.claim !== 'function' || !store.policy) {
    throw new TypeError(`${who}: option 'store' is required: pass a SqliteStore or another Store`);
  }
  if (merged.token !== undefined && (typeof merged.token !== 'string' || merged.token === '')) {
    throw new TypeError(`${who}: option 'token' must be a non-empty string when set`);
  }
  const positive = (key: keyof BottleRouterOptions, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new TypeError(`${who}: option '${key}' must be a positive integer, got ${String(value)}`);
    }
    return value;
  };
  const { leaseMs, requireUpload } = store.policy;
  const heartbeatMs = positive('heartbeatMs', merged.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)));
  if (heartbeatMs >= leaseMs) {
    throw new TypeError(
      `${who}: option 'heartbeatMs' (${heartbeatMs}) must be shorter than the store's 'leaseMs' (${leaseMs})`,
    );
  }
  if (typeof merged.bodyLimit !== 'string' && typeof merged.bodyLimit !== 'number') {
    throw new TypeError(`${who}: option 'bodyLimit' must be a size like '16MiB' or a number of bytes`);
  }
  const logger = merged.logger;
  if (
    !logger ||
    ['info', 'warn', 'error'].some((m) => typeof logger[m as keyof BottleLogger] !== 'function')
  ) {
    throw new TypeError(`${who}: option 'logger' must have info, warn and error functions`);
  }
  if (typeof merged.version !== 'string') throw new TypeError(`${who}: option 'version' must be a string`);
  if (merged.gatherDir !== undefined && (typeof merged.gatherDir !== 'string' || merged.gatherDir === '')) {
    throw new TypeError(`${who}: option 'gatherDir' must be a directory path when set`);
  }
  if (merged.gatherDir !== undefined && typeof store.onWork === 'function' && merged.gatherShared !== true) {
    // A configuration mistake rather than a bad argument: the CLI shows it as a usage error.
    throw new BottleError(
      'ERR_USAGE',
      `gathering outputs in ${merged.gatherDir} with a queue shared by several servers loses the outputs ` +
        'uploaded to the other servers unless every server sees this same directory: put it on shared ' +
        "storage and confirm with --gather-shared (option 'gatherShared'), or gather with one server",
    );
  }
  // Gathering is a promise to the user (a task is done only with its outputs): router and store must agree.
  if ((merged.gatherDir !== undefined) !== requireUpload) {
    throw new TypeError(
      merged.gatherDir !== undefined
        ? `${who}: option 'gatherDir' needs a store opened with policy.requireUpload: true`
        : `${who}: the store requires uploads (policy.requireUpload): set option 'gatherDir'`,
    );
  }
  const maxUploadBytes = merged.maxUploadBytes;
  if (typeof maxUploadBytes !== 'number' || !Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1) {
    throw new TypeError(
      `${who}: option 'maxUploadBytes' must be a positive integer, got ${String(maxUploadBytes)}`,
    );
  }
  if (merged.onEvent !== undefined && typeof merged.onEvent !== 'function') {
    throw new TypeError(`${who}: option 'onEvent' must be a function when set`);
  }
  const maxClaimWaitMs = positive('maxClaimWaitMs', merged.maxClaimWaitMs);
  const metrics: unknown = merged.metrics;
  const dashboard: unknown = merged.dashboard;
  for (const [key, flag] of [
    ['metrics', metrics],
    ['dashboard', dashboard],
  ] as const) {
    if (typeof flag !== 'boolean') throw new TypeError(`${who}: option '${key}' must be true or false`);
  }
  return {
    store,
    token: merged.token,
    heartbeatMs,
    expiryCheckMs: positive('expiryCheckMs', merged.expiryCheckMs),
    bodyLimit: merged.bodyLimit,
    maxClaimWaitMs,
    legacyListLimit: positive('legacyListLimit', merged.legacyListLimit),
    logger,
    version: merged.version,
    gatherDir: merged.gatherDir,
    maxUploadBytes,
    gatherShared: merged.gatherShared === true,
    onEvent: eventFanOut([merged.onEvent ?? eventsToLogger(logger)]),
    staleWorkerMs: positive('staleWorkerMs', merged.staleWorkerMs ?? maxClaimWaitMs + 2 * heartbeatMs),
    metrics: metrics as boolean,
    dashboard: dashboard as boolean,
    notify: merged.notify === undefined ? undefined : resolveNotifyOptions(merged.notify, who),
  };
}
