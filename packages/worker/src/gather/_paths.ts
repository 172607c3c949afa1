/**
 * Checks for paths that come from a server listing before they touch the local disk (the same rules the
 * server applies to uploads): relative, `/`-separated, no `..`, no NUL or backslash.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { BottleError } from '@bottle/protocol';

export function safeRelativePath(name: string): string | undefined {
  if (name.includes('\0') || name.includes('\\') || name.startsWith('/') || /^[A-Za-z]:/.test(name))
    return undefined;
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0 || segments.includes('..')) return undefined;
  return segments.join('/');
}

export function isParamsHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

/** Throws unless every existing component of `relative` under `root` is a real directory (no links). */
export async function assertNoLinks(root: string, relative: string): Promise<void> {
  let current = root;
  for (const segment of relative.split('/')) {
    current = join(current, segment);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats) return;
    if (stats.isSymbolicLink()) {
      throw new BottleError(
        'ERR_USAGE',
        `${current} is a symbolic link; remove it before gathering into ${root}`,
      );
    }
  }
}
