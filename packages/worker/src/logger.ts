/**
 * The worker package's default logger. The Worker, the SSH tunnel and the remote launch all log
 * through the one `BottleLogger` shape (`@bottle/protocol`); this is what they write to when given none.
 */
import type { BottleLogger } from '@bottle/protocol';
import createDebug from 'debug';

const debug = createDebug('bottle:worker');

/** Every level to `DEBUG=bottle:worker`, warnings and errors marked as such. */
export const defaultLogger: BottleLogger = {
  debug: (message) => debug(message),
  info: (message) => debug(message),
  warn: (message) => debug(`warning: ${message}`),
  error: (message) => debug(`error: ${message}`),
};
