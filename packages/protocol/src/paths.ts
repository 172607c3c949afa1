/**
 * Which relative paths may name a file inside a task's output directory. One rule for the server
 * (archive entries, manifests, single-file reads) and for the worker (paths a server lists, before
 * they touch the local disk), so that the two can never disagree.
 */

/** Longest path, in UTF-8 bytes (Linux's PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Longest path segment, in UTF-8 bytes (NAME_MAX of the common file systems). */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Normalises a path to `a/b/c` (`/`-separated, no `.` or empty segments), or says why it is unsafe:
 * a NUL byte, a backslash, an absolute path or a drive letter, a `..` segment, or a path or segment
 * longer than {@link MAX_PATH_BYTES} or {@link MAX_SEGMENT_BYTES}. The directory itself (`./`) is `''`.
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
