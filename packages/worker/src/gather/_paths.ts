/**
 * Before a path a server listed touches the local disk, it is checked by the server's own rules
 * (`safeRelativePath` of @bottle/protocol), and the folders it goes through must hold no links.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { BottleError } from '@bottle/protocol';

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
