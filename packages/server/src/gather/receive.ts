/**
 * Receiving one task's output archive: stream it into a fresh `.incoming-*` directory inside the gather
 * dir, check it, and only then swap it into `<gatherDir>/<paramsHash>/`. A refused, corrupt or half
 * upload leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BottleError, isBottleError, TarFormatError } from '@bottle/protocol';
import debug from 'debug';
import { extractArchive } from './_extract.js';
import { parseManifest, verifyManifest } from './_manifest.js';
import { checkParamsHash } from './_paths.js';
import { ByteReader, TruncatedError } from './_reader.js';

const log = debug('bottle:server:gather');

export const INCOMING_PREFIX = '.incoming-';
export const OLD_PREFIX = '.old-';

/** 1 GiB: the per-task upload limit when the server is given none (`--max-upload`). */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Files and directories one upload may hold when the server is given no other limit. */
export const DEFAULT_MAX_UPLOAD_ENTRIES = 100_000;

export interface ReceiveOutputOptions {
  /** The server's `--gather` directory; created if missing. */
  gatherDir: string;
  /** The task's parameter hash: the archive lands in `<gatherDir>/<paramsHash>/`. */
  paramsHash: string;
  /** Upper bound on archive bytes and on the sum of declared file sizes (default 1 GiB). */
  maxBytes?: number;
  /** Upper bound on the files and directories of one archive (default 100,000). */
  maxEntries?: number;
  /**
   * SHA-256 (hex) of the archive bytes, when the sender knows it up front. Without it, the archive must
   * end with a `.bottle-manifest.json` entry, which is checked file by file.
   */
  expectedSha256?: string;
}

export interface ReceiveOutputResult {
  /** Regular files committed. */
  files: number;
  /** Archive bytes read. */
  bytes: number;
  /** SHA-256 (hex) of the archive bytes read. */
  sha256: string;
}

/**
 * Streams a tar archive from `input` into `<gatherDir>/<paramsHash>/`, replacing any previous upload
 * of that task. Throws ERR_UPLOAD_REJECTED (unsafe entry), ERR_UPLOAD_TOO_LARGE (over `maxBytes`) or
 * ERR_UPLOAD_CHECKSUM (truncated or corrupt); in each case nothing outside the temporary directory
 * was written and that directory is gone. On failure `input` is left paused, not destroyed, so that an
 * HTTP handler can still answer: Node's HTTP server then reads and discards the rest of the body (its
 * `requestTimeout` bounds how long), and the client gets the answer instead of a connection reset.
 */
export async function receiveOutput(
  input: Readable,
  options: ReceiveOutputOptions,
): Promise<ReceiveOutputResult> {
  const {
    gatherDir,
    paramsHash,
    maxBytes = DEFAULT_MAX_UPLOAD_BYTES,
    maxEntries = DEFAULT_MAX_UPLOAD_ENTRIES,
    expectedSha256,
  } = options;
  checkParamsHash(paramsHash);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)
    throw new TypeError('maxBytes must be a positive integer');
  await mkdir(gatherDir, { recursive: true });
  const incoming = await mkdtemp(join(gatherDir, INCOMING_PREFIX));

  const hash = createHash('sha256');
  let bytes = 0;
  const reader = new ByteReader(input, (chunk) => {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      throw new BottleError(
        'ERR_UPLOAD_TOO_LARGE',
        `output archive for ${paramsHash} exceeds the ${maxBytes}-byte upload limit; raise --max-upload on the server`,
        { details: { maxBytes } },
      );
    }
    hash.update(chunk);
  });
  try {
    const { files, manifest } = await extractArchive(reader, incoming, { maxBytes, maxEntries });
    // Whatever follows the end marker (tar's record tarPadding) is read so that the digest covers it.
    await reader.drain();
    const sha256 = hash.digest('hex');
    if (expectedSha256 !== undefined && expectedSha256.toLowerCase() !== sha256) {
      throw new BottleError(
        'ERR_UPLOAD_CHECKSUM',
        `output archive for ${paramsHash} has SHA-256 ${sha256}, expected ${expectedSha256}`,
      );
    }
    if (manifest) verifyManifest(parseManifest(manifest), files);
    else if (expectedSha256 === undefined) {
      throw new BottleError(
        'ERR_UPLOAD_CHECKSUM',
        'the output archive has no .bottle-manifest.json; it is incomplete',
      );
    }
    await commit(gatherDir, paramsHash, incoming);
    log('committed %s: %d files, %d bytes', paramsHash, files.size, bytes);
    return { files: files.size, bytes, sha256 };
  } catch (error) {
    await rm(incoming, { recursive: true, force: true });
    log('refused upload for %s: %s', paramsHash, (error as Error).message);
    throw asUploadError(error, paramsHash);
  } finally {
    reader.detach();
  }
}

function asUploadError(error: unknown, paramsHash: string): unknown {
  if (isBottleError(error)) return error;
  if (error instanceof TruncatedError || error instanceof TarFormatError) {
    return new BottleError('ERR_UPLOAD_CHECKSUM', `output archive for ${paramsHash}: ${error.message}`, {
      cause: error,
    });
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new BottleError(
      'ERR_UPLOAD_CHECKSUM',
      `output archive for ${paramsHash}: the upload was cut off`,
      {
        cause: error,
      },
    );
  }
  return error;
}

// One commit at a time per target, so that two uploads of the same task cannot interleave their renames.
const commits = new Map<string, Promise<void>>();

async function commit(gatherDir: string, paramsHash: string, incoming: string): Promise<void> {
  const target = join(gatherDir, paramsHash);
  const previous = commits.get(target) ?? Promise.resolve();
  const current = previous.then(() => swapInto(gatherDir, paramsHash, incoming));
  const settled = current.catch(() => {});
  commits.set(target, settled);
  try {
    await current;
  } finally {
    if (commits.get(target) === settled) commits.delete(target);
  }
}

/**
 * rename(2) cannot replace a non-empty directory, so the old one is first renamed aside. Between the
 * two renames (microseconds) the target is missing: a reader then sees "not found", never a mix.
 * A crash in that window leaves `.old-<hash>-*`, which recoverGatherDir puts back.
 */
async function swapInto(gatherDir: string, paramsHash: string, incoming: string): Promise<void> {
  const target = join(gatherDir, paramsHash);
  const aside = join(gatherDir, `${OLD_PREFIX}${paramsHash}-${randomBytes(6).toString('hex')}`);
  let movedAside = false;
  try {
    await rename(target, aside);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(incoming, target);
  } catch (error) {
    if (movedAside) await rename(aside, target).catch(() => {});
    throw error;
  }
  if (movedAside) await rm(aside, { recursive: true, force: true });
}
