/**
 * A task's gathered output as a tar stream, in the same format workers upload: regular files and
 * directories only, sorted, closed by `.bottle-manifest.json` so that the receiver can check it.
 * Files are read one at a time; nothing is buffered whole.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeArchiveEnd, encodeTarHeader, type ManifestFile, tarPadding } from '@bottle/protocol';
import { outputDir, walk } from './files.js';

/** Streams `<gatherDir>/<paramsHash>/` as a tar archive. Rejects with ERR_NOT_FOUND before any byte. */
export async function streamOutput(gatherDir: string, paramsHash: string): Promise<Readable> {
  const dir = await outputDir(gatherDir, paramsHash);
  return Readable.from(archiveChunks(dir), { objectMode: false });
}

async function* archiveChunks(dir: string): AsyncGenerator<Buffer> {
  const manifest: ManifestFile[] = [];
  for await (const entry of walk(dir)) {
    const mtimeMs = entry.stats.mtimeMs;
    if (entry.dir) {
      yield encodeTarHeader({ path: entry.path, type: 'dir', size: 0, mode: 0o755, mtimeMs });
      continue;
    }
    const handle = await open(join(dir, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const { size, mode } = await handle.stat();
      yield encodeTarHeader({ path: entry.path, type: 'file', size, mode, mtimeMs });
      const hash = createHash('sha256');
      let sent = 0;
      if (size > 0) {
        for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) {
          const bytes = (chunk as Buffer).subarray(0, size - sent);
          hash.update(bytes);
          sent += bytes.length;
          yield bytes;
          if (sent === size) break;
        }
      }
      // The header promised `size` bytes: a file that shrank meanwhile cannot be sent consistently.
      if (sent !== size) throw new Error(`${entry.path} changed size while it was being sent`);
      yield Buffer.alloc(tarPadding(size));
      manifest.push({ path: entry.path, size, sha256: hash.digest('hex') });
    } finally {
      await handle.close();
    }
  }
  yield encodeArchiveEnd(manifest);
}
