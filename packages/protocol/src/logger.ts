/** The one shape of logger every bottle library takes: a console, a pino logger or your own fits. */

/** Where a library's messages go, one line of text per call. */
export interface BottleLogger {
  /** Detail for debugging; a logger without it drops these lines. */
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
