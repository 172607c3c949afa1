/**
 * `@bottle/server/postgres`, loaded only for a `postgres://` database: `pg` is an optional peer
 * dependency, so a server on SQLite never loads it, and one on PostgreSQL without it is told what
 * to install instead of meeting Node's "cannot find package".
 */
import { BottleError } from '@bottle/protocol';

export async function loadPostgres(): Promise<typeof import('./postgres/index.js')> {
  try {
    return await import('./postgres/index.js');
  } catch (error) {
    if (!isMissingPackage(error, 'pg')) throw error;
    throw new BottleError(
      'ERR_MISSING_PACKAGE',
      "a postgres:// database needs the package 'pg', which is not installed: install it beside @bottle/server (npm install pg)",
      { cause: error },
    );
  }
}

/** Node's error for an import of a package that is not installed: `Cannot find package 'pg' imported from ...`. */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`);
}
