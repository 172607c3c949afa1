/** Bearer-token check, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BottleError } from '@bottle/protocol';
import type { Request, RequestHandler } from 'express';
import type { ServerEventListener } from '../events/types.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether `given` is `secret`, in constant time: every token and session check goes through here.
 * Comparing digests gives equal lengths, so timingSafeEqual reveals nothing about the secret's length.
 */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/** `onRefused` hears of each refusal (the event log's `token.refused`). */
export function bearerAuth(
  token: string,
  onRefused: (req: Request, reason: 'missing' | 'wrong') => void = () => {},
): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      onRefused(req, 'missing');
      next(
        new BottleError(
          'ERR_UNAUTHORIZED',
          'this server needs Authorization: Bearer <token>; pass --token or set BOTTLE_TOKEN',
        ),
      );
    } else if (!sameSecret(match[1]!, token)) {
      onRefused(req, 'wrong');
      next(new BottleError('ERR_UNAUTHORIZED', 'wrong token; pass the token the server was started with'));
    } else {
      next();
    }
  };
}

/** The refusal listener that emits `token.refused`, naming the path without its query. */
export function emitTokenRefused(emit: ServerEventListener) {
  return (req: Request, reason: 'missing' | 'wrong') =>
    emit({
      type: 'token.refused',
      method: req.method,
      path: req.originalUrl.split('?')[0] ?? '',
      ip: req.ip ?? req.socket.remoteAddress ?? '',
      reason,
    });
}
