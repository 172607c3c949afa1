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

/**
 * The dashboard's page, its files and its login hold no data (the page reads everything through the
 * routes below, which need the token or the session the login sets): they alone answer without it.
 */
const PUBLIC = [
  'GET /',
  'GET /dashboard/session',
  'POST /dashboard/login',
  'POST /dashboard/logout',
  'GET /dashboard/:file',
];

async function checkEveryRoute(base: string, router: BottleRouter) {
  const all = routeTable(router);
  const isPublic = (r: { method: string; pattern: string }) => PUBLIC.includes(`${r.method} ${r.pattern}`);
  // Exactly these are public: a new route is behind the token unless this list says otherwise.
  expect(
    all
      .filter(isPublic)
      .map((r) => `${r.method} ${r.pattern}`)
      .sort(),
  ).toEqual([...PUBLIC].sort());
  const routes = all.filter((r) => !isPublic(r));
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
    // The event streams stay open once allowed: their answers with the token are tested on their own.
    if (pattern === '/v1/events' || pattern === '/v1/scans/:name/events') continue;
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
