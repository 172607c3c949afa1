/** `createBottleRouter`: the whole API as an express.Router, mountable at any prefix. */
import { mkdir } from 'node:fs/promises';
import { BottleError, type SubmitResponse, submitRequestSchema } from '@bottle/protocol';
import express from 'express';
import { mountDashboard } from '../dashboard/routes.js';
import { tokenOrSession } from '../dashboard/session.js';
import { type EventStreams, mountEventStream } from '../dashboard/stream.js';
import type { StoreStats } from '../events/store-events.js';
import { eventFanOut, type ServerEvent } from '../events/types.js';
import { recoverGatherDir } from '../gather/recover.js';
import { type BottleMetrics, createMetrics } from '../metrics/metrics.js';
import { mountMetrics } from '../metrics/route.js';
import { createWebhooks, type Webhooks } from '../notify/webhooks.js';
import { createQueue, type Queue } from '../queue/queue.js';
import type { Store } from '../store/store.js';
import { answerOptions } from './allow.js';
import { emitTokenRefused } from './auth.js';
import { bodyParser, parseByteSize } from './body.js';
import { errorHandler, notFound, parseWith } from './errors.js';
import { hotPath } from './hot-path.js';
import { type BottleRouterOptions, type ResolvedRouterOptions, resolveRouterOptions } from './options.js';
import { mountGatherRoutes } from './routes-gather.js';
import { mountLegacyRoutes } from './routes-legacy.js';
import { mountScanEvents } from './routes-scan-events.js';
import { hotRoutes, mountV1Routes } from './routes-v1.js';

/** An express.Router with a lifecycle. */
export interface BottleRouter extends express.Router {
  readonly store: Store;
  /** The resolved options (named `settings`: `options` is the HTTP OPTIONS method of a router). */
  readonly settings: Readonly<ResolvedRouterOptions>;
  /**
   * The one way in for submits, as `POST /v1/tasks` takes them: validates `request` (ERR_BAD_REQUEST,
   * ERR_BAD_PARAMS), commits it to the store and answers the claims waiting for work.
   */
  submit(request: unknown): Promise<SubmitResponse>;
  /**
   * Tells an event of something beside the router (the Slurm allocator's decisions) where the
   * router's own go: the event listener, the metrics, the webhooks and the dashboard.
   */
  emit(event: ServerEvent): void;
  /** How many claims are waiting for work now (long polls held open). */
  readonly waitingClaims: number;
  /** The queue the routes are mounted over: waiting claims, the expiry sweep, the progress monitor. */
  readonly queue: Queue;
  /** Closes the queue (timers stop, waiting claims are answered with no tasks); later requests get 503. */
  close(): Promise<void>;
}

/** The paths this router answers; anything else falls through to the app's own routes. */
const OWN_PATHS = ['/v1', '/healthz', '/task', '/tasks', '/alltasks', '/upload', '/metrics'];

export function createBottleRouter(options: BottleRouterOptions): BottleRouter {
  const resolved = resolveRouterOptions(options);
  const { store, logger, onEvent } = resolved;
  let metrics: BottleMetrics | undefined;
  let webhooks: Webhooks | undefined;
  const emit = eventFanOut([
    onEvent,
    (event) => metrics?.onEvent(event),
    (event) => webhooks?.onEvent(event),
    (event) => {
      if (event.type === 'slurm.allocation') queue.monitor.noteAllocation(event);
    },
  ]);
  const stats: StoreStats = {
    claimed: (tasks) => metrics?.claimed(tasks),
    finished: (key, outcome, retryable) => metrics?.finished(key, outcome, retryable),
  };
  const queue = createQueue({
    store,
    expiryCheckMs: resolved.expiryCheckMs,
    staleWorkerMs: resolved.staleWorkerMs,
    emit,
    stats,
    onError: (what, error) => logger.error(`${what}: ${(error as Error)?.message ?? String(error)}`),
    onExpired: (requeued, failed) => logger.info(`leases expired: ${requeued} requeued, ${failed} failed`),
  });
  if (resolved.metrics) metrics = createMetrics(queue.monitor);
  if (resolved.notify) {
    webhooks = createWebhooks(resolved.notify, {
      store,
      clock: queue.clock,
      logger,
      version: resolved.version,
    });
  }
  const bodyLimit = parseByteSize(resolved.bodyLimit);
  let closing = false;
  const router = express.Router();

  router.use(OWN_PATHS, (_req, res, next) => {
    // The app's header, when it sets one, says nothing a worker needs: not on every answer.
    res.removeHeader('x-powered-by');
    next(
      closing ? new BottleError('ERR_UNAVAILABLE', 'the server is shutting down; retry later') : undefined,
    );
  });
  if (resolved.token !== undefined) {
    router.use(OWN_PATHS, tokenOrSession(resolved.token, emitTokenRefused(emit)));
  }
  if (metrics) mountMetrics(router, OWN_PATHS, metrics);
  const context = { options: resolved, queue };
  const parseJson = bodyParser(bodyLimit, ['json']);
  const hot = hotRoutes(context);
  router.use(hotPath(hot, parseJson));
  router.use(answerOptions(router));
  // Half uploads of a previous run are cleared before the first upload or download is served.
  const gatherReady =
    resolved.gatherDir === undefined
      ? Promise.resolve()
      : mkdir(resolved.gatherDir, { recursive: true })
          .then(() => recoverGatherDir(resolved.gatherDir as string))
          .then(({ removed, restored }) => {
            if (removed + restored > 0)
              logger.info(`gather dir: ${removed} leftovers removed, ${restored} restored`);
          });
  gatherReady.catch((error: unknown) => {
    logger.error(
      `cannot recover the gather dir ${resolved.gatherDir}: ${(error as Error)?.message ?? String(error)}`,
    );
  });
  // Before the JSON parser: an upload's body is a tar stream that only receiveOutput may read.
  mountGatherRoutes(router, context, gatherReady);
  router.use('/v1', parseJson);
  router.post('/tasks', bodyParser(bodyLimit, ['json', 'form']));

  mountV1Routes(router, context, hot);
  const scanEvents = mountScanEvents(router, queue, (error) =>
    logger.error(`scan events: ${(error as Error)?.message ?? String(error)}`),
  );
  const streams: EventStreams | undefined = resolved.dashboard
    ? mountEventStream(router, queue.monitor)
    : undefined;
  mountLegacyRoutes(router, context);
  if (resolved.dashboard) mountDashboard(router, { token: resolved.token, emit });
  router.use('/v1', notFound);
  // A wrong method on a path of its own is answered here, in JSON, not left to the host application.
  router.all(['/healthz', '/task', '/tasks', '/alltasks'], notFound);
  router.use(errorHandler(logger));

  Object.defineProperty(router, 'waitingClaims', { get: () => queue.waiting, enumerable: true });
  return Object.assign(router, {
    store,
    settings: resolved,
    queue,
    emit,
    async submit(request: unknown) {
      if (closing) throw new BottleError('ERR_UNAVAILABLE', 'the server is shutting down; retry later');
      return queue.submit(parseWith(submitRequestSchema, request, 'request'));
    },
    async close() {
      if (closing) return;
      closing = true;
      streams?.close();
      scanEvents.close();
      await queue.close();
      webhooks?.close();
    },
  }) as BottleRouter;
}
