/**
 * Walks an uploaded tar archive entry by entry and writes it under `root`, a fresh directory that no
 * one else writes to. Only regular files and directories are accepted; every other entry type (links,
 * devices, fifos, sparse files, ...) is refused, so nothing inside `root` can ever point outside it.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  BottleError,
  decodeTarHeader,
  isZeroTarBlock,
  OUTPUT_MANIFEST_NAME,
  parsePaxRecords,
  TAR_BLOCK,
  tarPadding,
} from '@bottle/protocol';
import { entryPathOrThrow, rejectEntry } from './_paths.js';
import type { ByteReader } from './_reader.js';

/** Most bytes of metadata (pax records, GNU long names, the manifest) held in memory at once. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export interface ExtractedFile {
  size: number;
  sha256: string;
}

export interface ExtractResult {
  files: Map<string, ExtractedFile>;
  /** The raw manifest entry, if the archive has one (it must be the last entry). */
  manifest: Buffer | undefined;
}

const refusedTypes: Record<string, string> = {
  '1': 'hard links are not accepted',
  '2': 'symbolic links are not accepted',
  '3': 'character devices are not accepted',
  '4': 'block devices are not accepted',
  '6': 'fifos are not accepted',
};

export async function extractArchive(
  reader: ByteReader,
  root: string,
  limits: { maxBytes: number; maxEntries: number },
): Promise<ExtractResult> {
  const files = new Map<string, ExtractedFile>();
  let manifest: Buffer | undefined;
  let declaredBytes = 0;
  let entries = 0;
  // Overrides from a pax `x` header or GNU `L` long name, for the next entry only.
  let nextPath: string | undefined;
  let nextSize: number | undefined;

  const readMetadata = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_METADATA_BYTES) throw rejectEntry(what, `metadata entry of ${size} bytes is too large`);
    const data = size === 0 ? Buffer.alloc(0) : await reader.exact(size);
    await reader.exact(tarPadding(size));
    if (!data) throw new BottleError('ERR_UPLOAD_CHECKSUM', 'the output archive is truncated');
    return data;
  };

  for (;;) {
    const block = await reader.exact(TAR_BLOCK);
    if (!block)
      throw new BottleError('ERR_UPLOAD_CHECKSUM', 'the output archive ends without its end marker');
    if (isZeroTarBlock(block)) return { files, manifest };
    const header = decodeTarHeader(block);
    const name = nextPath ?? header.path;
    const size = nextSize ?? header.size;
    nextPath = undefined;
    nextSize = undefined;

    if (manifest) throw rejectEntry(name, `entries after ${OUTPUT_MANIFEST_NAME} are not accepted`);
    const refused = refusedTypes[header.type];
    if (refused) throw rejectEntry(name, refused);

    if (header.type === 'x' || header.type === 'L' || header.type === 'g') {
      const data = await readMetadata(size, name);
      if (header.type === 'L') {
        nextPath = data.toString('utf8').replace(/\0+$/, '');
      } else if (header.type === 'x') {
        const records = parsePaxRecords(data);
        nextPath = records.get('path');
        const sizeText = records.get('size');
        if (sizeText !== undefined) {
          if (!/^[0-9]+$/.test(sizeText)) throw rejectEntry(name, 'malformed pax size');
          nextSize = Number(sizeText);
        }
        if (records.has('linkpath')) throw rejectEntry(nextPath ?? name, 'links are not accepted');
      }
      // Global (`g`) headers are read and ignored: no attribute of ours comes from them.
      continue;
    }
    if (header.type !== '0' && header.type !== '7' && header.type !== '5') {
      throw rejectEntry(name, `entry type ${JSON.stringify(header.type)} is not accepted`);
    }

    const path = entryPathOrThrow(name);
    // Empty files cost no bytes but an inode each: their number is bounded too.
    if (++entries > limits.maxEntries) {
      throw new BottleError(
        'ERR_UPLOAD_TOO_LARGE',
        `output archive refused at entry ${JSON.stringify(name)}: more than ${limits.maxEntries} files and directories`,
        { details: { entry: name, maxEntries: limits.maxEntries } },
      );
    }
    if (header.type === '5') {
      if (size !== 0) throw rejectEntry(name, 'a directory entry with data');
      if (path !== '')
        await mkdir(join(root, path), { recursive: true }).catch((error) => clash(name, error));
      continue;
    }
    if (path === '') throw rejectEntry(name, 'a file entry without a name');

    declaredBytes += size;
    if (declaredBytes > limits.maxBytes || !Number.isSafeInteger(size)) {
      throw new BottleError(
        'ERR_UPLOAD_TOO_LARGE',
        `output archive refused at entry ${JSON.stringify(name)}: its files declare more than the ` +
          `${limits.maxBytes}-byte upload limit; raise --max-upload on the server`,
        { details: { entry: name, maxBytes: limits.maxBytes } },
      );
    }

    if (path === OUTPUT_MANIFEST_NAME) {
      manifest = await readMetadata(size, name);
      continue;
    }
    if (files.has(path)) throw rejectEntry(name, 'the path appears twice');
    files.set(path, await writeFile(reader, join(root, path), size, header, name));
  }
}

async function writeFile(
  reader: ByteReader,
  target: string,
  size: number,
  header: { mode: number; mtimeMs: number },
  name: string,
): Promise<ExtractedFile> {
  const hash = createHash('sha256');
  try {
    await mkdir(dirname(target), { recursive: true });
    // `wx`: never open something that already exists (the root is fresh and holds no links, so this
    // is a second line of defence, and it makes a file-over-directory clash an error).
    const out = createWriteStream(target, { flags: 'wx', mode: header.mode & 0o111 ? 0o755 : 0o644 });
    await pipeline(async function* () {
      for await (const chunk of reader.chunks(size)) {
        hash.update(chunk);
        yield chunk;
      }
    }, out);
  } catch (error) {
    clash(name, error);
  }
  await reader.exact(tarPadding(size));
  const seconds = header.mtimeMs / 1000;
  if (seconds > 0) await utimes(target, seconds, seconds);
  return { size, sha256: hash.digest('hex') };
}

/** File-system refusals caused by the archive's own shape become ERR_UPLOAD_REJECTED; the rest pass. */
function clash(name: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') {
    throw rejectEntry(name, `it clashes with another entry (${code})`);
  }
  throw error;
}
