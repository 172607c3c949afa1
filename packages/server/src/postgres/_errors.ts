/** pg's errors as BottleErrors: what happened to which database, without the password. */
import { BottleError, isBottleError } from '@bottle/protocol';

interface PgishError {
  code?: unknown;
  message?: unknown;
}

// Lost or refused connections: the pool opens a fresh connection for the next query.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True when the error says the connection is gone (not that a statement was wrong). */
export function isConnectionError(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgishError;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    NETWORK_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' ||
    code === '57P03' || // cannot connect now (starting up)
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  );
}

/** True for a serialization failure or a deadlock: the transaction may simply run again. */
export function isRetryable(error: unknown): boolean {
  const code = (typeof error === 'object' && error !== null ? (error as PgishError) : {}).code;
  return code === '40001' || code === '40P01';
}

/** Maps an error raised while talking to the database at `shown`; BottleErrors pass through. */
export function toStoreError(error: unknown, shown: string): unknown {
  if (isBottleError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgishError;
  const code = typeof e.code === 'string' ? e.code : '';
  const detail = typeof e.message === 'string' && e.message !== '' ? e.message : code;
  if (code === '28P01' || code === '28000') {
    return new BottleError(
      'ERR_DATABASE',
      `${shown} refused the login (${detail}): check the user and password, or pg_hba.conf`,
      { cause: error },
    );
  }
  if (code === '3D000') {
    return new BottleError('ERR_DATABASE', `${shown}: ${detail}; create it with createdb`, { cause: error });
  }
  if (code === '42501') {
    return new BottleError(
      'ERR_DATABASE',
      `${shown}: permission denied (${detail}); grant this user CREATE on the database, or create bottle's schema for it`,
      { cause: error },
    );
  }
  if (isConnectionError(error)) {
    return new BottleError(
      'ERR_UNAVAILABLE',
      `the database ${shown} is unreachable (${detail}); the server reconnects by itself: retry`,
      { cause: error },
    );
  }
  // Serialization failures and deadlocks between servers: the statement can simply be retried.
  if (isRetryable(error)) {
    return new BottleError('ERR_UNAVAILABLE', `the database ${shown} is busy (${detail}); retry`, {
      cause: error,
    });
  }
  return error;
}
