/**
 * The routes every task passes through, `POST /v1/tasks`, `POST /v1/claim` and `POST /v1/report`
 * (the submit is on the path of an idle worker's first task), answered by one layer mounted right after the checks every route gets (closing, token, metrics), so that
 * they do not walk the dozen layers of uploads, options and other routes first. The handlers are
 * the routes' own (routes-v1.ts), which stay mounted in their place too: another spelling of the
 * path (a trailing slash, other letter case) and `OPTIONS` reach them there.
 */
import type { Request, RequestHandler, Response } from 'express';

export type HotHandler = (req: Request, res: Response) => Promise<void>;

/** The hot routes by path, as the router mounts them. */
export interface HotRoutes {
  '/v1/tasks': HotHandler;
  '/v1/claim': HotHandler;
  '/v1/report': HotHandler;
}

/** `parseBody` is the JSON body parser every `/v1` route gets. */
export function hotPath(routes: HotRoutes, parseBody: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const query = req.url.indexOf('?');
    const path = query < 0 ? req.url : req.url.slice(0, query);
    if (path !== '/v1/tasks' && path !== '/v1/claim' && path !== '/v1/report') return next();
    const handler = routes[path];
    // The route's pattern, as Express would set it: the metrics label each request by it.
    req.route = { path };
    parseBody(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      handler(req, res).catch(next);
    });
  };
}
