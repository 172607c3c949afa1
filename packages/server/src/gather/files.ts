/**
 * The read side of the gather dir: which tasks have outputs, what files each holds (with SHA-256, so
 * that `bottle gather` fetches only what changed), and one file as a stream. Symbolic links and other
 * non-regular files are never followed nor listed (uploads cannot create any; this guards against an
 * operator's hand edits).
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BottleError, isSha256Hex, safeRelativePath } from '@bottle/protocol';
import { checkParamsHash } from './_paths.js';

export interface OutputFile {
  /** Relative to the task's output directory, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

function notFound(what: string): BottleError {
  return new BottleError(
    'ERR_NOT_FOUND',
    `${what} is not in the gather dir; has the task finished and uploaded?`,
  );
}

/** The parameter hashes that have a committed output directory, sorted. */
export async function listGathered(gatherDir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(gatherDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory() && isSha256Hex(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** The task directory, checked to be a real directory (not a link). */
export async function outputDir(gatherDir: string, paramsHash: string): Promise<string> {
  checkParamsHash(paramsHash);
  const dir = join(gatherDir, paramsHash);
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats?.isDirectory()) throw notFound(`output ${paramsHash}`);
  return dir;
}

/** Regular files and directories under `dir`, depth first, sorted by name; links and others skipped. */
export async function* walk(
  dir: string,
  prefix = '',
): AsyncGenerator<{ path: string; stats: Stats; dir: boolean }> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    const absolute = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield { path, stats: await lstat(absolute), dir: true };
      yield* walk(absolute, path);
    } else if (entry.isFile()) {
      yield { path, stats: await lstat(absolute), dir: false };
    }
  }
}

// Hashing large outputs on every listing would be slow: remember digests by identity and change time.
const digestCache = new Map<string, string>();
const DIGEST_CACHE_MAX = 100_000;

async function digest(absolute: string, stats: Stats): Promise<string> {
  const key = `${absolute}\0${stats.ino}\0${stats.size}\0${stats.mtimeMs}\0${stats.ctimeMs}`;
  const cached = digestCache.get(key);
  if (cached) return cached;
  const hash = createHash('sha256');
  await pipeline(createReadStream(absolute), hash);
  const value = hash.digest('hex');
  if (digestCache.size >= DIGEST_CACHE_MAX) digestCache.clear();
  digestCache.set(key, value);
  return value;
}

/** Every regular file of a task's output, with size, SHA-256 and mtime. Throws ERR_NOT_FOUND. */
export async function listOutputFiles(gatherDir: string, paramsHash: string): Promise<OutputFile[]> {
  const dir = await outputDir(gatherDir, paramsHash);
  const files: OutputFile[] = [];
  for await (const entry of walk(dir)) {
    if (entry.dir) continue;
    files.push({
      path: entry.path,
      size: entry.stats.size,
      sha256: await digest(join(dir, entry.path), entry.stats),
      mtimeMs: Math.floor(entry.stats.mtimeMs),
    });
  }
  return files;
}

/**
 * One file of a task's output as a stream. `path` is checked like an archive entry, and every
 * component is checked not to be a link. Throws ERR_NOT_FOUND, or ERR_BAD_REQUEST for an unsafe path.
 */
export async function openOutputFile(
  gatherDir: string,
  paramsHash: string,
  path: string,
): Promise<{ stream: Readable; size: number; mtimeMs: number }> {
  const safe = safeRelativePath(path);
  if ('reason' in safe || safe.path === '') {
    throw new BottleError(
      'ERR_BAD_REQUEST',
      `unsafe output path ${JSON.stringify(path)}: use a relative path`,
    );
  }
  let current = await outputDir(gatherDir, paramsHash);
  const segments = safe.path.split('/');
  for (const [index, segment] of segments.entries()) {
    current = join(current, segment);
    const stats = await lstat(current).catch(() => undefined);
    const last = index === segments.length - 1;
    if (!stats || (last ? !stats.isFile() : !stats.isDirectory()))
      throw notFound(`${paramsHash}/${safe.path}`);
  }
  // O_NOFOLLOW: a link swapped in after the check above is refused, not followed.
  const handle = await open(current, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stats = await handle.stat();
  return { stream: handle.createReadStream(), size: stats.size, mtimeMs: Math.floor(stats.mtimeMs) };
}
