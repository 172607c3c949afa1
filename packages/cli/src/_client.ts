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
