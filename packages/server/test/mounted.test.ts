import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBottleRouter, SqliteStore } from '@bottle/server';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { call, quietLogger, specs, worker } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('mounted in an existing Express app', () => {
  it('serves the API under a prefix beside the app’s own routes', async () => {
    const store = new SqliteStore(':memory:');
    const bottle = createBottleRouter({ store, logger: quietLogger, token: 'tok' });
    const app = express();
    app.get('/hello', (_req, res) => {
      res.json({ hello: 'world' });
    });
    app.use('/bottle', bottle);
    app.get('/after', (_req, res) => {
      res.send('after');
    });
    const server: Server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup = async () => {
      await bottle.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    };
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    expect((await call(base, 'GET', '/hello')).body).toEqual({ hello: 'world' });
    expect(await fetch(`${base}/after`).then((r) => r.text())).toBe('after');
    const submitted = await call(base, 'POST', '/bottle/v1/tasks', { tasks: specs(1) }, { token: 'tok' });
    expect(submitted.body.created).toBe(1);
    const claimed = await call(
      base,
      'POST',
      '/bottle/v1/claim',
      { ...worker, max: 1, waitMs: 0 },
      { token: 'tok' },
    );
    expect(claimed.body.tasks).toHaveLength(1);
    expect((await call(base, 'GET', '/bottle/healthz', undefined, { token: 'tok' })).body.ok).toBe(true);
    expect((await call(base, 'GET', '/bottle/v1/tasks')).status).toBe(401);
    const unknown = await call(base, 'GET', '/bottle/v1/nope', undefined, { token: 'tok' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } });
    // Nothing of bottle's leaks onto the app's own paths.
    expect((await fetch(`${base}/v1/tasks`, { headers: { authorization: 'Bearer tok' } })).status).toBe(404);
  });

  it('serves the API at the root of an app without shadowing the app’s later routes', async () => {
    const store = new SqliteStore(':memory:');
    const bottle = createBottleRouter({ store, logger: quietLogger, token: 'tok' });
    const app = express();
    app.use(bottle);
    app.get('/status', (_req, res) => {
      res.json({ mine: true });
    });
    const server: Server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup = async () => {
      await bottle.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    };
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await call(base, 'GET', '/status')).body).toEqual({ mine: true });
    expect((await call(base, 'GET', '/v1/scans', undefined, { token: 'tok' })).body).toEqual({ scans: [] });
  });
});
