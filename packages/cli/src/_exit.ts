import { isBottleError } from '@bottle/protocol';

/** Exit codes: scripts can tell a usage mistake from a failure from a bug. */
export const exitCodes = {
  ok: 0,
  /** An expected failure: server unreachable, a refused request, a task module not found. */
  failure: 1,
  /** `bottle-worker`: a task it ran failed for good (no attempt left, or not retryable). */
  tasksFailed: 1,
  /** Bad command line: unknown option, missing argument, invalid value. */
  usage: 2,
  /** `bottle wait --timeout`: time ran out before the scans ended (as timeout(1) exits). */
  timedOut: 124,
  /** A bug in bottle: please report it with the stack trace printed. */
  internal: 70,
  /** Stopped by SIGINT. */
  interrupted: 130,
} as const;

/** A command-line mistake found after parsing (a value yargs cannot check). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The one place errors become messages and exit codes. */
export function exitCodeFor(error: unknown, program: string, stderr: (text: string) => void): number {
  // A library's ERR_USAGE (e.g. a bad hosts file) is a command-line mistake too.
  if (error instanceof UsageError || isBottleError(error, 'ERR_USAGE')) {
    stderr(`${program}: ${(error as Error).message}\nRun '${program} --help' for usage.\n`);
    return exitCodes.usage;
  }
  if (isBottleError(error)) {
    stderr(`${program}: ${error.message} [${error.code}]\n`);
    return exitCodes.failure;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr(`${program}: internal error, please report it:\n${stack}\n`);
  return exitCodes.internal;
}
