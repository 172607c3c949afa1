/**
 * The dashboard's server side, mounted under a prefix in another app: the page and its files, the
 * login that sets the session cookie, the event stream (one frame per progress read for every
 * open stream), and the cross-site guard on actions.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBottleRouter, SqliteStore } from '@bottle/server';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { call, quietLogger, specs } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function mounted(token?: string) {
  const store = new SqliteStore(':memory:');
  const bottle = createBottleRouter({ store, logger: quietLogger, ...(token ? { token } : {}) });
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
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/lab/bottle`;
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
  return frames as { at: number; scans: { name: string; total: number }[]; workers: unknown[] }[];
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
