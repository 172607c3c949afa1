/** `createBottleRouter`: the whole API as an express.Router, mountable at any prefix. */
import { mkdir } from 'node:fs/promises';
import { BottleError, type SubmitResponse, submitRequestSchema } from '@bottle/protocol';
import express from 'express';
import { mountDashboard } from '../dashboard/routes.js';
import { tokenOrSession } from '../dashboard/session.js';
import { type EventStreams, mountEventStream } from '../dashboard/stream.js';
import { ProgressMonitor } from '../events/monitor.js';
import { observeStore } from '../events/observe-store.js';
import { eventFanOut } from '../events/types.js';
import { recoverGatherDir } from '../gather/recover.js';
import { type BottleMetrics, createMetrics } from '../metrics/metrics.js';
import { mountMetrics } from '../metrics/route.js';
import type { Store } from '../store/store.js';
import { answerOptions } from './allow.js';
import { emitTokenRefused } from './auth.js';
import { bodyParser, parseByteSize } from './body.js';
import { errorHandler, notFound, parseWith } from './errors.js';
import { ClaimNotifier } from './notifier.js';
import { type BottleRouterOptions, type ResolvedRouterOptions, resolveRouterOptions } from './options.js';
import { mountGatherRoutes } from './routes-gather.js';
import { mountLegacyRoutes } from './routes-legacy.js';
import { mountV1Routes } from './routes-v1.js';

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
  /** How many claims are waiting for work now (long polls held open). */
  readonly waitingClaims: number;
  /** Stops the expiry timer and answers waiting claims with no tasks; later requests get 503. */
  close(): Promise<void>;
}

/** How often the scans and workers are read for events, dashboards and metrics. */
const MONITOR_INTERVAL_MS = 1_000;

/** The paths this router answers; anything else falls through to the app's own routes. */
const OWN_PATHS = ['/v1', '/healthz', '/task', '/tasks', '/alltasks', '/upload', '/metrics'];

export function createBottleRouter(options: BottleRouterOptions): BottleRouter {
  const resolved = resolveRouterOptions(options);
  const { store, logger, onEvent } = resolved;
  let metrics: BottleMetrics | undefined;
  const emit = eventFanOut([onEvent, (event) => metrics?.onEvent(event)]);
  const monitor = new ProgressMonitor({
    store,
    intervalMs: MONITOR_INTERVAL_MS,
    staleWorkerMs: resolved.staleWorkerMs,
    emit,
    onError: (error) => {
      if (!closing) logger.error(`progress read failed: ${(error as Error)?.message ?? String(error)}`);
    },
  });
  if (resolved.metrics) metrics = createMetrics(monitor);
  // The routes talk to the observed store, so that what they do is also told as events and metrics.
  resolved.store = observeStore(store, emit, metrics);
  const bodyLimit = parseByteSize(resolved.bodyLimit);
  const notifier = new ClaimNotifier(resolved.store, (error) => {
    if (!closing)
      logger.error(`serving waiting claims failed: ${(error as Error)?.message ?? String(error)}`);
  });
  // Work made ready through another server on the same store wakes this server's claims too.
  const stopListening = store.onWork?.(() => notifier.notify()) ?? (() => {});
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
  router.use(answerOptions(router));
  const context = { options: resolved, notifier, monitor };
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
  router.use('/v1', bodyParser(bodyLimit, ['json']));
  router.post('/tasks', bodyParser(bodyLimit, ['json', 'form']));

  mountV1Routes(router, context);
  const streams: EventStreams | undefined = resolved.dashboard
    ? mountEventStream(router, monitor)
    : undefined;
  mountLegacyRoutes(router, context);
  if (resolved.dashboard) mountDashboard(router, { token: resolved.token, emit });
  router.use('/v1', notFound);
  // A wrong method on a path of its own is answered here, in JSON, not left to the host application.
  router.all(['/healthz', '/task', '/tasks', '/alltasks'], notFound);
  router.use(errorHandler(logger));

  // Leases also expire at claim time; the timer frees them when no one claims, and wakes waiters.
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping || closing) return;
    sweeping = true;
    store
      .expireLeases(Date.now())
      .then(({ requeued, failed }) => {
        if (requeued + failed > 0) logger.info(`leases expired: ${requeued} requeued, ${failed} failed`);
        if (requeued > 0) notifier.notify();
      })
      .catch((error: unknown) => {
        if (!closing) logger.error(`lease expiry failed: ${(error as Error)?.message ?? String(error)}`);
      })
      .finally(() => {
        sweeping = false;
      });
  }, resolved.expiryCheckMs);
  timer.unref();
  monitor.start();

  Object.defineProperty(router, 'waitingClaims', { get: () => notifier.waiting, enumerable: true });
  return Object.assign(router, {
    store,
    settings: resolved,
    async submit(request: unknown) {
      if (closing) throw new BottleError('ERR_UNAVAILABLE', 'the server is shutting down; retry later');
      return notifier.submit(parseWith(submitRequestSchema, request, 'request'));
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      stopListening();
      monitor.stop();
      streams?.close();
      notifier.close();
    },
  }) as BottleRouter;
}
