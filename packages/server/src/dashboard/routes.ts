/**
 * The dashboard at `/` of the router (under its mount prefix): a static page and its scripts, with
 * a login form when the server has a token. The data comes from the `/v1` routes and the event
 * stream, behind the token or the session cookie.
 */

import { readFile } from 'node:fs/promises';
import { BottleError } from '@bottle/protocol';
import type { Response, Router } from 'express';
import type { ServerEventListener } from '../events/types.js';
import { emitTokenRefused, sameSecret } from '../http/auth.js';
import { bodyParser } from '../http/body.js';
import { dashboardFiles } from './assets.js';
import { hasSession, SESSION_COOKIE, sessionValue } from './session.js';

export interface DashboardOptions {
  token: string | undefined;
  emit: ServerEventListener;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response, type: string): void {
  res.set({
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
}

export function mountDashboard(router: Router, options: DashboardOptions): void {
  const files = dashboardFiles();
  const cache = new Map<string, Buffer>();
  const send = async (res: Response, name: string) => {
    const file = files.get(name);
    if (!file) throw new BottleError('ERR_NOT_FOUND', `the dashboard has no file ${name}`);
    let body = cache.get(name);
    if (!body) {
      body = await readFile(file.path);
      cache.set(name, body);
    }
    secure(res, file.type);
    res.send(body);
  };

  router.get('/', async (req, res) => {
    // Relative links need the trailing slash: /prefix → /prefix/.
    const path = req.originalUrl.split('?')[0] ?? '/';
    if (!path.endsWith('/')) return res.redirect(301, `${path}/`);
    await send(res, 'index.html');
  });
  const cookiePath = (baseUrl: string) => `${baseUrl || ''}/`;
  router.get('/dashboard/session', (req, res) => {
    const { token } = options;
    res.set('Cache-Control', 'no-store');
    res.json({
      tokenRequired: token !== undefined,
      authenticated: token === undefined || hasSession(req, token),
    });
  });
  router.post('/dashboard/login', bodyParser(4096, ['json']), (req, res) => {
    const { token } = options;
    // Every answer of the API is JSON, these included.
    if (token === undefined) return res.json({ authenticated: true });
    const body: unknown = req.body;
    const given: unknown =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as { token?: unknown }).token
        : undefined;
    if (typeof given !== 'string' || !sameSecret(given, token)) {
      emitTokenRefused(options.emit)(req, typeof given === 'string' && given !== '' ? 'wrong' : 'missing');
      throw new BottleError('ERR_UNAUTHORIZED', 'wrong token; give the token the server was started with');
    }
    res.cookie(SESSION_COOKIE, sessionValue(token), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: cookiePath(req.baseUrl),
    });
    res.json({ authenticated: true });
  });
  router.post('/dashboard/logout', (req, res) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: cookiePath(req.baseUrl) });
    res.json({ authenticated: false });
  });
  // Last: the names above are routes, not files.
  router.get('/dashboard/:file', async (req, res) => {
    if (req.params.file === 'index.html') throw new BottleError('ERR_NOT_FOUND', 'no such file');
    await send(res, req.params.file);
  });
}
