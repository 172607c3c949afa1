/** `GET /metrics` in the Prometheus text format, and the timing of every request the router answers. */
import type { Router } from 'express';
import type { BottleMetrics } from './metrics.js';

export function mountMetrics(router: Router, paths: string[], metrics: BottleMetrics): void {
  router.use(paths, (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      // The route's pattern, not its path: one series per route, not per task key.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.request(req.method, String(route), res.statusCode, seconds);
      if (route === '/v1/claim') metrics.claimWait(seconds);
    });
    next();
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.scrape());
  });
}
