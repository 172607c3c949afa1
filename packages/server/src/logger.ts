/**
 * The server's default logger. Every part of the server logs through the one `BottleLogger` shape
 * (`@bottle/protocol`); this is what it writes to when the embedder gives none.
 */
import type { BottleLogger } from '@bottle/protocol';
import createDebug from 'debug';

const debug = createDebug('bottle:server');

/** Info goes to `DEBUG=bottle:server`; warnings and errors also become process warnings, so they are seen. */
export const defaultLogger: BottleLogger = {
  debug: (message) => debug(message),
  info: (message) => debug(message),
  warn: (message) => {
    debug(`warning: ${message}`);
    process.emitWarning(message, 'BottleWarning');
  },
  error: (message) => {
    debug(`error: ${message}`);
    process.emitWarning(message, 'BottleError');
  },
};
