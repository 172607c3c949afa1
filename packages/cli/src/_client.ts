import { BottleError, isBottleError } from '@bottle/protocol';
import { BottleClient } from '@bottle/worker';
import type { CliContext } from './_context.js';
import { resolveServer, resolveToken } from './_options.js';

/** The client every `bottle` command uses: --server, else $BOTTLE_SERVER, else the default. */
export function clientFor(
  argv: { server?: string | undefined; token?: string | undefined },
  context: CliContext,
) {
  const url = resolveServer(argv.server, context.env);
  const token = resolveToken(argv.token, context.env);
  return new BottleClient({ server: url, ...(token ? { token } : {}) });
}

/**
 * The server's "not found" names its HTTP route (`list scans with GET /v1/scans`); on the command
 * line the way to list is a `bottle` command.
 */
export async function orNotFound<T>(request: Promise<T>, what: string, listWith: string): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (!isBottleError(error, 'ERR_NOT_FOUND')) throw error;
    throw new BottleError('ERR_NOT_FOUND', `no ${what}; list them with ${listWith}`, { cause: error });
  }
}
