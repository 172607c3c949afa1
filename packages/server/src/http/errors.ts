/**
 * Every error leaves through `errorHandler` as `{ error: { code, message } }` with the catalog's
 * status. Unexpected errors are logged here and answered 500 without their stack or message.
 */

import type { BottleLogger } from '@bottle/protocol';
import { BottleError, formatPath, isBottleError } from '@bottle/protocol';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/** What zod schemas offer; typed structurally so that this package needs no zod of its own. */
interface SafeParser<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** Parses `value` with `schema`, or throws ERR_BAD_REQUEST naming the offending field path. */
export function parseWith<T>(schema: SafeParser<T>, value: unknown, root = 'body'): T {
  if (value === undefined && root === 'body') {
    throw new BottleError('ERR_BAD_REQUEST', 'body: send a JSON object with Content-Type: application/json');
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  // `tasks[3].params.x`; the root alone for an issue with the whole value.
  const shown = issues.slice(0, 5).map((issue) => `${formatPath('', issue.path) || root}: ${issue.message}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  throw new BottleError('ERR_BAD_REQUEST', shown.join('; '));
}

/**
 * A hot body (a claim, a report batch): `quick` accepts only what `schema` accepts, in a plain loop;
 * on refusal the schema parses it again, for the same error as `parseWith` gives.
 */
export function parseQuick<T>(
  quick: (value: unknown) => value is T,
  schema: SafeParser<T>,
  value: unknown,
): T {
  return quick(value) ? value : parseWith(schema, value);
}

interface HttpishError {
  status?: unknown;
  code?: unknown;
}

/** Maps anything thrown to a BottleError fit for the wire. */
export function toWireError(error: unknown, logger: BottleLogger): BottleError {
  if (isBottleError(error) && error.status !== undefined) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as HttpishError;
  // The router's decoding of a :param (`/v1/tasks/%zz`): the client's mistake, not ours.
  if (error instanceof URIError && e.status === 400) {
    return new BottleError(
      'ERR_BAD_REQUEST',
      `path: a malformed %-escape (${error.message}); percent-encode keys and names as UTF-8`,
    );
  }
  if (e.code === 'SQLITE_BUSY') {
    return new BottleError('ERR_UNAVAILABLE', 'the database is busy (locked by another process); retry', {
      cause: error,
    });
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logger.error(`unexpected error: ${detail}`);
  return new BottleError('ERR_INTERNAL', 'internal error; see the server log', { cause: error });
}

export function errorHandler(logger: BottleLogger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const wire = toWireError(error, logger);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(wire.status ?? 500).json(wire.toJSON());
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(
    new BottleError(
      'ERR_NOT_FOUND',
      `no route ${req.method} ${req.originalUrl.split('?')[0]}; see docs/protocol.md`,
    ),
  );
};
