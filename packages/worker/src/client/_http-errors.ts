/**
 * Maps got's errors to BottleErrors: a server's `{ error: { code, message } }` keeps its code;
 * network failures become ERR_SERVER_UNREACHABLE, timeouts ERR_TIMEOUT. Messages name the method and
 * the URL (the caller redacts it), the status, and what to do. Request and response objects stay in `cause`.
 */
import { BottleError, errorBodySchema, errorCatalog } from '@bottle/protocol';

interface GotLikeError {
  name?: string;
  code?: string;
  message?: string;
  response?: { statusCode?: number; body?: unknown };
  timings?: { phases?: { total?: number } };
}

/**
 * A copy of got's error with its name, code, message and stack only: got's own error carries the
 * request options (headers with the token, the body), which must not end up in logs or crash dumps.
 */
function plainCause(error: unknown): Error {
  const e = (error ?? {}) as GotLikeError & { stack?: string };
  const copy = new Error(e.message ?? String(error));
  copy.name = e.name ?? 'Error';
  if (e.stack) copy.stack = e.stack;
  if (e.code) (copy as Error & { code?: string }).code = e.code;
  return copy;
}

export function toBottleError(
  gotError: unknown,
  method: string,
  url: string,
  timeoutMs: number,
): BottleError {
  const e = (gotError ?? {}) as GotLikeError;
  const error = plainCause(gotError);
  const what = `${method} ${url}`;
  if (e.name === 'HTTPError' && e.response) {
    const status = e.response.statusCode ?? 0;
    const body = typeof e.response.body === 'string' ? e.response.body : '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {}
    const wire = errorBodySchema.safeParse(parsed);
    if (wire.success) {
      // A code this version does not know (a newer server's) is kept as it came.
      return new BottleError(wire.data.error.code, `${what} answered ${status}: ${wire.data.error.message}`, {
        status,
        cause: error,
      });
    }
    const hint =
      status === 404
        ? 'is this URL a bottle server (and the right path prefix)?'
        : status >= 500
          ? 'the server failed; see its log, and retry later'
          : errorCatalog.ERR_HTTP.hint;
    return new BottleError('ERR_HTTP', `${what} answered ${status} without a bottle error body; ${hint}`, {
      status,
      cause: error,
    });
  }
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return new BottleError(
      'ERR_TIMEOUT',
      `${what} got no answer within ${timeoutMs} ms; check the network or that the server is not overloaded, or raise the timeout`,
      { cause: error },
    );
  }
  return new BottleError(
    'ERR_SERVER_UNREACHABLE',
    `${what} failed: ${e.code ?? e.name ?? 'network error'}; check the server URL, that the server runs, or the tunnel`,
    { cause: error },
  );
}
