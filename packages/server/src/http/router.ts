/** `createBottleRouter`: the whole API as an express.Router, mountable at any prefix. */
import { mkdir } from 'node:fs/promises';
import { BottleError } from '@bottle/protocol';
import express from 'express';
import { recoverGatherDir } from '../gather/recover.js';
import type { Store } from '../store.js';
import { bearerAuth } from './auth.js';
import { errorHandler, notFound } from './errors.js';
import { ClaimNotifier } from './notifier.js';
import { type BottleRouterOptions, type ResolvedRouterOptions, resolveRouterOptions } from './options.js';
import { mountGatherRoutes } from './routes-gather.js';
import { legacyBody, mountLegacyRoutes } from './routes-legacy.js';
import { mountV1Routes } from './routes-v1.js';

/** An express.Router with a lifecycle. */
export interface BottleRouter extends express.Router {
  readonly store: Store;
  /** The resolved options (named `settings`: `options` is the HTTP OPTIONS method of a router). */
  readonly settings: Readonly<ResolvedRouterOptions>;
  /** Stops the expiry timer and answers waiting claims with no tasks; later requests get 503. */
  close(): Promise<void>;
}

/** The paths this router answers; anything else falls through to the app's own routes. */
const OWN_PATHS = ['/v1', '/healthz', '/task', '/tasks', '/alltasks', '/upload'];

export function createBottleRouter(options: BottleRouterOptions): BottleRouter {
  const resolved = resolveRouterOptions(options);
  const { store, logger } = resolved;
  const notifier = new ClaimNotifier();
  // Work made ready through another server on the same store wakes this server's claims too.
  const stopListening = store.onWork?.(() => notifier.notify()) ?? (() => {});
  let closing = false;
  const router = express.Router();

  router.use(OWN_PATHS, (_req, _res, next) => {
    next(
      closing ? new BottleError('ERR_UNAVAILABLE', 'the server is shutting down; retry later') : undefined,
    );
  });
  if (resolved.token !== undefined) router.use(OWN_PATHS, bearerAuth(resolved.token));
  const context = { options: resolved, notifier, isClosing: () => closing };
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
  router.use('/v1', express.json({ limit: resolved.bodyLimit }));
  router.post('/tasks', legacyBody(resolved.bodyLimit));

  mountV1Routes(router, context);
  mountLegacyRoutes(router, context);
  router.use('/v1', notFound);
  router.use(errorHandler(logger));

  // Leases also expire at claim time; the timer frees them when no one claims, and wakes waiters.
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping || closing) return;
    sweeping = true;
    store
      .expireLeases(Date.now(), { maxAttempts: resolved.maxAttempts })
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

  return Object.assign(router, {
    store,
    settings: resolved,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      stopListening();
      notifier.close();
    },
  }) as BottleRouter;
}
