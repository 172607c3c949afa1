/**
 * Which relative paths may exist inside a task's output directory. One function for uploads, downloads
 * and single-file reads, so that the three can never disagree.
 */
import { BottleError } from '@bottle/protocol';

const MAX_PATH_BYTES = 4096;
const MAX_SEGMENT_BYTES = 255;

/** A 64-hex parameter hash; anything else could name a path outside the gather dir. */
export function checkParamsHash(paramsHash: string): void {
  if (!/^[0-9a-f]{64}$/.test(paramsHash)) {
    throw new BottleError(
      'ERR_BAD_REQUEST',
      `not a parameter hash: ${JSON.stringify(paramsHash)}; use 64 hex digits`,
    );
  }
}

/**
 * Normalises an entry name to `a/b/c` (posix, no `.` or empty segments), or explains why it is unsafe.
 * Returns `''` for the root itself (`./`).
 */
export function safeRelativePath(name: string): { path: string } | { reason: string } {
  if (name.includes('\0')) return { reason: 'the name contains a NUL byte' };
  if (name.includes('\\')) return { reason: 'the name contains a backslash' };
  if (name.startsWith('/')) return { reason: 'the path is absolute' };
  if (/^[A-Za-z]:/.test(name)) return { reason: 'the path starts with a drive letter' };
  if (Buffer.byteLength(name) > MAX_PATH_BYTES)
    return { reason: `the path is longer than ${MAX_PATH_BYTES} bytes` };
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { reason: 'the path has a ".." segment' };
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return { reason: `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes` };
    }
    segments.push(segment);
  }
  return { path: segments.join('/') };
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
