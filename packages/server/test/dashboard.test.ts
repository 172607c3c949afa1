/**
 * The dashboard's server side, mounted under a prefix in another app: the page and its files, the
 * login that sets the session cookie, the event stream (one frame per progress read for every
 * open stream), and the cross-site guard on actions.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBottleRouter, type ServerEvent, type ServerEventListener, SqliteStore } from '@bottle/server';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { call, quietLogger, specs } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function mounted(token?: string) {
  return (await mountedRouter(token)).base;
}

async function mountedRouter(token?: string, onEvent?: ServerEventListener) {
  const store = new SqliteStore(':memory:');
  const bottle = createBottleRouter({
    store,
    logger: quietLogger,
    ...(token ? { token } : {}),
    ...(onEvent ? { onEvent } : {}),
  });
  const app = express();
  app.use('/lab/bottle', bottle);
  const server: Server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup = async () => {
    await bottle.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  };
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lab/bottle`, bottle, store };
}

/** Reads server-sent events until `count` progress frames have come. */
async function progressFrames(url: string, count: number, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const frames: unknown[] = [];
  while (frames.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = /^event: progress\ndata: (.*)$/s.exec(block);
      if (data) frames.push(JSON.parse(data[1]!));
      end = text.indexOf('\n\n');
    }
  }
  controller.abort();
  return frames as {
    at: number;
    scans: { name: string; total: number }[];
    workers: unknown[];
    allocation?: unknown;
  }[];
}

describe('the dashboard under a prefix', () => {
  it('serves the page with a strict CSP, redirects to the trailing slash, and serves its files', async () => {
    const base = await mounted();
    const redirect = await fetch(base, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/lab/bottle/');
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="dashboard/app.js">');
    for (const file of ['app.js', 'charts.js', 'search.js', 'app.css', 'uplot.js', 'uplot.css']) {
      expect((await fetch(`${base}/dashboard/${file}`)).status, file).toBe(200);
    }
    expect((await fetch(`${base}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/index.html`)).status).toBe(404);
  });

  it('streams one progress frame per read to every open stream', async () => {
    const base = await mounted();
    await call(base, 'POST', '/v1/tasks', { scan: 'sweep', tasks: specs(3) });
    const [a, b] = await Promise.all([
      progressFrames(`${base}/v1/events`, 2),
      progressFrames(`${base}/v1/events`, 2),
    ]);
    expect(a![1]!.scans).toMatchObject([{ name: 'sweep', total: 3 }]);
    // The same reads reach both streams: no read of its own per dashboard.
    expect(a!.map((frame) => frame.at)).toEqual(b!.map((frame) => frame.at));
  });

  it("shows the Slurm allocator's jobs and last decision once it has told one, and none before", async () => {
    const events: ServerEvent[] = [];
    const { base, bottle, store } = await mountedRouter(undefined, (event) => events.push(event));
    await store.recordOwnedJob({ jobId: '41', workers: 2, submittedAt: 1_000 });
    const [before] = await progressFrames(`${base}/v1/events`, 1);
    // A server without an allocator has no Slurm panel, even with jobs of an earlier run recorded.
    expect(before).not.toHaveProperty('allocation');
    await store.recordOwnedJob({ jobId: '42', workers: 1, submittedAt: 2_000 });
    const reason = '3 tasks wait; at --max-workers 3 (2 running, 1 pending)';
    const decision = {
      type: 'slurm.allocation' as const,
      workers: 0,
      reason,
      jobs: [
        { jobId: '41', pending: 0, running: 2 },
        { jobId: '42', pending: 1, running: 0 },
      ],
    };
    bottle.emit(decision);
    // The router's listener (the event log) hears it as it hears the router's own events.
    expect(events).toContainEqual(decision);
    await bottle.queue.monitor.refresh();
    const [after] = await progressFrames(`${base}/v1/events`, 1);
    expect(after?.allocation).toEqual({
      jobs: [
        { jobId: '42', workers: 1, submittedAt: 2_000, pending: 1, running: 0 },
        { jobId: '41', workers: 2, submittedAt: 1_000, pending: 0, running: 2 },
      ],
      decision: { at: expect.any(Number), workers: 0, reason },
    });
  });

  it('with a token: login sets an HttpOnly SameSite=Strict cookie scoped to the prefix, actions need the header', async () => {
    const base = await mounted('tok');
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
    expect(await (await fetch(`${base}/dashboard/session`)).json()).toEqual({
      tokenRequired: true,
      authenticated: false,
    });
    const wrong = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'tok' }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^bottle_session=[0-9a-f]{64}; Path=\/lab\/bottle\/; HttpOnly; SameSite=Strict$/,
    );
    const cookie = setCookie.split(';')[0]!;
    expect(await (await fetch(`${base}/dashboard/session`, { headers: { cookie } })).json()).toEqual({
      tokenRequired: true,
      authenticated: true,
    });
    const frames = await progressFrames(`${base}/v1/events`, 1, { cookie });
    expect(frames).toHaveLength(1);
    await call(base, 'POST', '/v1/tasks', { scan: 's', tasks: specs(1) }, { token: 'tok' });
    const forged = await fetch(`${base}/v1/scans/s/cancel`, { method: 'POST', headers: { cookie } });
    expect(forged.status).toBe(401);
    const fromPage = await fetch(`${base}/v1/scans/s/cancel`, {
      method: 'POST',
      headers: { cookie, 'x-bottle-request': 'dashboard' },
    });
    expect(await fromPage.json()).toEqual({ count: 1 });
  });
});
