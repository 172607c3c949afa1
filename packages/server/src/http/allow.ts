/**
 * `OPTIONS` answered in JSON, like every other answer of the API (Express would send the plain text
 * `GET, HEAD`), with the methods read from the router's own routes.
 */
import type { RequestHandler, Router } from 'express';

/** What this module reads of an Express 5 router layer (the `router` package's Layer and Route). */
interface RouteLayer {
  matchers?: ((path: string) => unknown)[];
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
}

/** The methods a route answers: HEAD with GET, and always OPTIONS. */
function methodsOf(route: NonNullable<RouteLayer['route']>): string[] {
  const methods = Object.keys(route.methods)
    .filter((name) => route.methods[name] && name !== '_all')
    .map((name) => name.toUpperCase());
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  if (!methods.includes('OPTIONS')) methods.push('OPTIONS');
  return methods;
}

/**
 * Answers `OPTIONS` on a path of this router with `Allow` and `{ "methods": [...] }`. Paths that
 * match no route fall through (to the 404 of `/v1`, or to the host application).
 */
export function answerOptions(router: Router): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const methods = new Set<string>();
    for (const layer of router.stack as unknown as RouteLayer[]) {
      if (!layer.route || !layer.matchers) continue;
      // A matcher decodes the path's parameters: a malformed %-escape throws a URIError (400).
      if (layer.matchers.some((match) => match(req.path) !== false)) {
        for (const method of methodsOf(layer.route)) methods.add(method);
      }
    }
    if (methods.size === 0) return next();
    const allowed = [...methods].sort();
    res.setHeader('allow', allowed.join(', '));
    res.json({ methods: allowed });
  };
}
