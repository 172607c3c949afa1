/** The database URL: checked before any connection, and shown everywhere without its password. */
import { BottleError, redactUrl } from '@bottle/protocol';

/** A schema name bottle accepts: a plain lowercase identifier, so it needs no quoting anywhere. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ParsedDatabaseUrl {
  /** What the driver gets: the URL without bottle's own `schema` parameter. */
  connectionString: string;
  /** The URL without its password, for messages and logs. */
  shown: string;
  /** From `?schema=`, when given. */
  schema: string | undefined;
}

/** True for the URLs a PostgresStore opens (`postgres://` or `postgresql://`). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

export function parseDatabaseUrl(value: unknown): ParsedDatabaseUrl {
  if (typeof value !== 'string' || value === '') {
    throw new BottleError('ERR_DATABASE', 'PostgresStore: connectionString must be a postgres:// URL');
  }
  const shown = redactUrl(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BottleError(
      'ERR_DATABASE',
      `${shown} is not a URL: write postgres://user[:password]@host[:port]/database`,
    );
  }
  if (!isPostgresUrl(value)) {
    throw new BottleError('ERR_DATABASE', `${shown}: the scheme must be postgres:// or postgresql://`);
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    throw new BottleError('ERR_DATABASE', `${shown} names no host: write postgres://user@host/database`);
  }
  if (url.pathname.length <= 1) {
    throw new BottleError('ERR_DATABASE', `${shown} names no database: write postgres://user@host/database`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), shown: redactUrl(url.toString()), schema };
}

export function checkSchemaName(schema: string, shown: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new BottleError(
      'ERR_DATABASE',
      `${shown}: schema '${schema}' is not a plain name: use lowercase letters, digits and _ (at most 63)`,
    );
  }
  return schema;
}
