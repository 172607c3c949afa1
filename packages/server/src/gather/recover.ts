/**
 * Start-up housekeeping for a gather dir after a crash: half uploads (`.incoming-*`) are removed, and an
 * old output renamed aside for a swap (`.old-<hash>-*`) is put back if the swap never finished, else
 * removed. Call once before serving, while no upload is running.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Hex } from '@bottle/protocol';
import { INCOMING_PREFIX, OLD_PREFIX } from './receive.js';

export async function recoverGatherDir(gatherDir: string): Promise<{ removed: number; restored: number }> {
  let names: string[];
  try {
    names = await readdir(gatherDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removed: 0, restored: 0 };
    throw error;
  }
  let removed = 0;
  let restored = 0;
  for (const name of names) {
    const path = join(gatherDir, name);
    if (name.startsWith(INCOMING_PREFIX)) {
      await rm(path, { recursive: true, force: true });
      removed++;
      continue;
    }
    // `.old-<hash>-<random>`
    const hash = name.slice(OLD_PREFIX.length, OLD_PREFIX.length + 64);
    if (!name.startsWith(OLD_PREFIX) || !isSha256Hex(hash) || name[OLD_PREFIX.length + 64] !== '-') continue;
    const target = join(gatherDir, hash);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    ) {
      await rm(path, { recursive: true, force: true });
      removed++;
    } else {
      await rename(path, target);
      restored++;
    }
  }
  return { removed, restored };
}
