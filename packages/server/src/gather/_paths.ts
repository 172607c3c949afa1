/**
 * The gather dir's path rules, as errors: the rules themselves (`safeRelativePath`, `isSha256Hex`)
 * are the protocol's, so that server and worker can never disagree on what a safe path is.
 */
import { BottleError, isSha256Hex, safeRelativePath } from '@bottle/protocol';

/** A 64-hex parameter hash; anything else could name a path outside the gather dir. */
export function checkParamsHash(paramsHash: string): void {
  if (!isSha256Hex(paramsHash)) {
    throw new BottleError(
      'ERR_BAD_REQUEST',
      `not a parameter hash: ${JSON.stringify(paramsHash)}; use 64 hex digits`,
    );
  }
}

/** Like safeRelativePath, but throws ERR_UPLOAD_REJECTED naming the entry. */
export function entryPathOrThrow(name: string): string {
  const result = safeRelativePath(name);
  if ('reason' in result) throw rejectEntry(name, result.reason);
  return result.path;
}

export function rejectEntry(name: string, reason: string): BottleError {
  return new BottleError(
    'ERR_UPLOAD_REJECTED',
    `output archive refused at entry ${JSON.stringify(name)}: ${reason}. ` +
      'Archives may hold only regular files and directories inside the task directory.',
    { details: { entry: name } },
  );
}
