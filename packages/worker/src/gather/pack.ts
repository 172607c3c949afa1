/**
 * Packs a task's output directory as the tar stream the server's `--gather` accepts: regular files and
 * directories only (links and special files are skipped: the server would refuse them), read one at a
 * time and hashed as they stream, closed by `.bottle-manifest.json` listing each file's size and
 * SHA-256. Nothing is buffered whole and nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  encodeArchiveEnd,
  encodeTarHeader,
  type ManifestFile,
  OUTPUT_MANIFEST_NAME,
  tarPadding,
} from '@bottle/protocol';

export interface PackResult {
  /** SHA-256 (hex) of the archive bytes as the stream produced them. */
  sha256: string;
  /** Archive bytes produced. */
  bytes: number;
  /** Regular files packed. */
  files: number;
  /** Paths left out because they are neither regular files nor directories (links, fifos, sockets). */
  skipped: string[];
}

export interface PackedOutput {
  /** The archive; read it once (e.g. as a got upload body). */
  stream: Readable;
  /** Settles after the last byte was read from `stream`; rejects if packing failed or it was destroyed. */
  done: Promise<PackResult>;
}

/** Starts packing `dir`. The files are read lazily, as the consumer reads the stream. */
export function packOutput(dir: string): PackedOutput {
  const archiveHash = createHash('sha256');
  const result: PackResult = { sha256: '', bytes: 0, files: 0, skipped: [] };
  let settle!: { resolve: (value: PackResult) => void; reject: (error: unknown) => void };
  const done = new Promise<PackResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may only look at `stream` errors; an unobserved `done` must not crash the process.
  done.catch(() => {});

  let complete = false;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of archiveChunks(dir, result)) {
      if (chunk.length === 0) continue;
      archiveHash.update(chunk);
      result.bytes += chunk.length;
      yield chunk;
    }
    complete = true;
  }
  const stream = Readable.from(counted(), { objectMode: false });
  // 'end' alone is not proof: a stream destroyed mid-way may still end; only a finished generator is.
  stream.once('end', () => {
    if (complete) settle.resolve({ ...result, sha256: archiveHash.digest('hex') });
    else settle.reject(new Error('the output archive stream ended before the archive was complete'));
  });
  stream.once('error', (error) => settle.reject(error));
  stream.once('close', () => settle.reject(new Error('the output archive stream was closed before its end')));
  return { stream, done };
}

async function* walk(
  dir: string,
  prefix: string,
  skipped: string[],
): AsyncGenerator<{ path: string; stats: Stats }> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const path = prefix ? `${prefix}/${name}` : name;
    const stats = await lstat(join(dir, name));
    // A task's own file by that name would be taken for ours; it is left out and reported.
    if (prefix === '' && name === OUTPUT_MANIFEST_NAME) skipped.push(path);
    else if (stats.isDirectory()) {
      yield { path, stats };
      yield* walk(join(dir, name), path, skipped);
    } else if (stats.isFile()) {
      yield { path, stats };
    } else {
      skipped.push(path);
    }
  }
}

async function* archiveChunks(dir: string, result: PackResult): AsyncGenerator<Buffer> {
  const manifest: ManifestFile[] = [];
  for await (const { path, stats } of walk(dir, '', result.skipped)) {
    if (stats.isDirectory()) {
      yield encodeTarHeader({ path, type: 'dir', size: 0, mode: 0o755, mtimeMs: stats.mtimeMs });
      continue;
    }
    // O_NOFOLLOW: a file replaced by a link since the walk is refused rather than followed.
    const handle = await open(join(dir, path), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const { size, mode, mtimeMs } = await handle.stat();
      yield encodeTarHeader({ path, type: 'file', size, mode, mtimeMs });
      const hash = createHash('sha256');
      let sent = 0;
      if (size > 0) {
        // Only the bytes the header announced: a file still growing is cut at its size when opened.
        for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) {
          const bytes = chunk as Buffer;
          hash.update(bytes);
          sent += bytes.length;
          yield bytes;
        }
      }
      if (sent !== size) throw new Error(`output file ${path} shrank while it was being packed; pack again`);
      yield Buffer.alloc(tarPadding(size));
      manifest.push({ path, size, sha256: hash.digest('hex') });
      result.files++;
    } finally {
      await handle.close();
    }
  }
  yield encodeArchiveEnd(manifest);
}
