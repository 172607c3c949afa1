/**
 * Who may read and act: a bearer token (programs), or the dashboard's session cookie set by its
 * login form (browsers). The cookie is HttpOnly and SameSite=Strict, so a page elsewhere cannot
 * send it; a cookie-authenticated request that changes something must also carry the
 * `X-Bottle-Request` header, which a cross-site form cannot set and a cross-site script may not
 * send without a CORS grant the server never gives.
 */
import { createHmac } from 'node:crypto';
import { BottleError } from '@bottle/protocol';
import type { Request, RequestHandler } from 'express';
import { bearerAuth, sameSecret } from '../http/auth.js';

export const SESSION_COOKIE = 'bottle_session';
export const REQUEST_HEADER = 'x-bottle-request';

/** Derived from the token, so that the cookie never holds the token itself and dies with it. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('bottle dashboard session').digest('hex');
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function hasSession(req: Request, token: string): boolean {
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie !== undefined && sameSecret(cookie, sessionValue(token));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `bearerAuth`, or a valid session cookie (with the request header for anything but reads). */
export function tokenOrSession(
  token: string,
  onRefused: (req: Request, reason: 'missing' | 'wrong') => void,
): RequestHandler {
  const bearer = bearerAuth(token, onRefused);
  return (req, res, next) => {
    if (req.headers.authorization === undefined && hasSession(req, token)) {
      if (SAFE_METHODS.has(req.method) || req.headers[REQUEST_HEADER] === 'dashboard') return next();
      onRefused(req, 'missing');
      return next(
        new BottleError(
          'ERR_UNAUTHORIZED',
          `a request from the dashboard's session must carry the ${REQUEST_HEADER} header (cross-site requests are refused)`,
        ),
      );
    }
    bearer(req, res, next);
  };
}
