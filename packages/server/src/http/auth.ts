/** Bearer-token check, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BottleError } from '@bottle/protocol';
import type { RequestHandler } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function bearerAuth(token: string): RequestHandler {
  // Comparing digests gives equal lengths, so timingSafeEqual reveals nothing about the token's length.
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      next(
        new BottleError(
          'ERR_UNAUTHORIZED',
          'this server needs Authorization: Bearer <token>; pass --token or set BOTTLE_TOKEN',
        ),
      );
    } else if (!timingSafeEqual(digest(match[1]!), expected)) {
      next(new BottleError('ERR_UNAUTHORIZED', 'wrong token; pass the token the server was started with'));
    } else {
      next();
    }
  };
}
