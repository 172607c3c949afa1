/** The router's routes read from the router itself (Express 5 router stack), with sample paths. */
import type { Router } from 'express';

export interface RouteSample {
  method: string;
  /** The pattern as registered, e.g. `/v1/tasks/:key/complete`. */
  pattern: string;
  /** A concrete path that matches it. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
}

const hash = 'ab'.repeat(32);
const samples: Record<string, string> = {
  key: hash,
  paramsHash: hash,
  name: 'a-scan',
  archive: `${hash}.tar`,
  path: 'dir/file.txt',
  file: 'app.js',
};

/** Fills `:param` and `*splat` segments with values of the right shape (`overrides` first). */
export function concrete(pattern: string, overrides: Record<string, string> = {}): string {
  return pattern.replace(/[:*](\w+)/g, (_, name: string) => {
    const sample = overrides[name] ?? samples[name];
    if (sample === undefined) throw new Error(`route-table: no sample for parameter ${name} in ${pattern}`);
    return sample;
  });
}

export function routeTable(router: Router): RouteSample[] {
  const out: RouteSample[] = [];
  for (const layer of router.stack as unknown as Layer[]) {
    if (!layer.route) continue;
    const patterns = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    // `_all` is a catch-all answering wrong methods, not a route of its own.
    for (const method of Object.keys(layer.route.methods).filter(
      (m) => m !== '_all' && layer.route?.methods[m],
    )) {
      for (const pattern of patterns)
        out.push({ method: method.toUpperCase(), pattern, path: concrete(pattern) });
    }
  }
  return out;
}
