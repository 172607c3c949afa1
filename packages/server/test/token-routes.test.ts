import { type BottleRouter, createBottleRouter, SqliteStore } from '@bottle/server';
import { afterEach, describe, expect, it } from 'vitest';
import { quietLogger, startTestServer } from './helpers.js';
import { serveMounted } from './mount.js';
import { codeOf, raw } from './raw-http.js';
import { routeTable } from './route-table.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function checkEveryRoute(base: string, router: BottleRouter) {
  const routes = routeTable(router);
  // Enough routes that a forgotten one (or an empty table) cannot pass unnoticed.
  expect(routes.length).toBeGreaterThanOrEqual(25);
  expect(routes.map((r) => `${r.method} ${r.pattern}`)).toContain('POST /v1/claim');
  for (const { method, pattern, path } of [
    ...routes,
    { method: 'OPTIONS', pattern: '*', path: '/v1/tasks' },
  ]) {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Basic s3cret' },
    ] as Record<string, string>[]) {
      const reply = await raw(base, method, path, {
        headers: { ...headers, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      const code = method === 'HEAD' ? 'ERR_UNAUTHORIZED' : codeOf(reply);
      expect([method, pattern, reply.status, code]).toEqual([method, pattern, 401, 'ERR_UNAUTHORIZED']);
    }
    const allowed = await raw(base, method, path, {
      headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' },
      body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
    });
    expect([method, pattern, allowed.status === 401]).toEqual([method, pattern, false]);
  }
}

describe('the token on every route, enumerated from the router', () => {
  it('standalone', async () => {
    const s = await startTestServer({ token: 's3cret' });
    cleanups.push(() => s.close());
    await checkEveryRoute(s.url, s.server.router);
  });

  it('mounted under a prefix in an application', async () => {
    const store = new SqliteStore(':memory:');
    const router = createBottleRouter({ store, logger: quietLogger, token: 's3cret' });
    const mounted = await serveMounted(router, '/deep/bottle', () => store.close());
    cleanups.push(() => mounted.close());
    await checkEveryRoute(mounted.base, router);
  });
});
