/**
 * `bottle gather`'s engine: mirror the server's gathered outputs into a local folder, fetching only
 * files that are missing or differ (size, then SHA-256) from the server's listing. Written against
 * injected functions so that it does not care how files travel; the CLI wires them to the HTTP client.
 *
 * Each file is downloaded beside its target under a temporary name, checked against the listed size
 * and SHA-256, then renamed into place: an interrupted gather never leaves a half file under a real
 * name. Local files the server does not list are left alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, rm, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BottleError, isSha256Hex, safeRelativePath } from '@bottle/protocol';
import { assertNoLinks } from './_paths.js';

export interface RemoteFile {
  /** Relative to the task's output directory, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
  mtimeMs?: number;
}

export interface RemoteOutput {
  paramsHash: string;
  files: RemoteFile[];
}

export interface SyncProgress {
  /** Files and bytes the listing asks for in all. */
  totalFiles: number;
  totalBytes: number;
  /** Files already up to date locally. */
  upToDateFiles: number;
  /** Files and bytes downloaded so far. */
  fetchedFiles: number;
  fetchedBytes: number;
  /** Files and bytes that need fetching, in all. */
  toFetchFiles: number;
  toFetchBytes: number;
}

export interface SyncOutputsOptions {
  /** Local folder; each task lands in `<to>/<paramsHash>/`. */
  to: string;
  /** The server's outputs and their files (e.g. `GET /v1/outputs` then each task's file list). */
  listRemote: () => Promise<RemoteOutput[]>;
  /** One file's bytes (e.g. `GET /v1/outputs/:hash/files/*path` as a got stream). */
  fetchFile: (paramsHash: string, path: string) => Promise<Readable>;
  /** Called after the comparison and after each file fetched. */
  onProgress?: (progress: SyncProgress) => void;
  /** Downloads at once. */
  concurrency?: number;
}

const syncDefaults = { concurrency: 4 } satisfies Partial<SyncOutputsOptions>;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function isUpToDate(local: string, remote: RemoteFile): Promise<boolean> {
  const stats = await lstat(local).catch(() => undefined);
  if (!stats?.isFile() || stats.size !== remote.size) return false;
  return (await sha256File(local)) === remote.sha256;
}

/** Fetches what is missing or changed; returns the final progress counts. */
export async function syncOutputs(options: SyncOutputsOptions): Promise<SyncProgress> {
  const { to, listRemote, fetchFile, onProgress, concurrency } = { ...syncDefaults, ...options };
  const remote = await listRemote();
  const progress: SyncProgress = {
    totalFiles: 0,
    totalBytes: 0,
    upToDateFiles: 0,
    fetchedFiles: 0,
    fetchedBytes: 0,
    toFetchFiles: 0,
    toFetchBytes: 0,
  };
  const jobs: Array<{ paramsHash: string; path: string; file: RemoteFile }> = [];
  for (const output of remote) {
    if (!isSha256Hex(output.paramsHash)) {
      throw new BottleError(
        'ERR_BAD_REQUEST',
        `the server listed an invalid output ${JSON.stringify(output.paramsHash)}`,
      );
    }
    for (const file of output.files) {
      const safe = safeRelativePath(file.path);
      if ('reason' in safe || safe.path === '') {
        const why = 'reason' in safe ? safe.reason : 'it names no file';
        throw new BottleError(
          'ERR_BAD_REQUEST',
          `the server listed an unsafe path ${JSON.stringify(file.path)}: ${why}`,
        );
      }
      const { path } = safe;
      progress.totalFiles++;
      progress.totalBytes += file.size;
      await assertNoLinks(to, `${output.paramsHash}/${path}`);
      if (await isUpToDate(join(to, output.paramsHash, path), file)) {
        progress.upToDateFiles++;
      } else {
        jobs.push({ paramsHash: output.paramsHash, path, file });
        progress.toFetchFiles++;
        progress.toFetchBytes += file.size;
      }
    }
  }
  onProgress?.({ ...progress });

  let next = 0;
  let failed = false;
  const runOne = async (): Promise<void> => {
    while (!failed && next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await download(to, job.paramsHash, job.path, job.file, fetchFile);
      } catch (error) {
        failed = true;
        throw error;
      }
      progress.fetchedFiles++;
      progress.fetchedBytes += job.file.size;
      onProgress?.({ ...progress });
    }
  };
  // On the first failure the others finish their current file and stop; nothing runs on after we return.
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, runOne),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return progress;
}

async function download(
  to: string,
  paramsHash: string,
  path: string,
  file: RemoteFile,
  fetchFile: SyncOutputsOptions['fetchFile'],
): Promise<void> {
  const target = join(to, paramsHash, path);
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.bottle-partial-${randomBytes(4).toString('hex')}`;
  try {
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      await fetchFile(paramsHash, path),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(partial, { flags: 'wx' }),
    );
    const sha256 = hash.digest('hex');
    if (size !== file.size || sha256 !== file.sha256) {
      throw new BottleError(
        'ERR_DOWNLOAD_CHECKSUM',
        `downloaded ${paramsHash}/${path} does not match the server's listing (${size} bytes, SHA-256 ${sha256}); ` +
          'run the gather again',
      );
    }
    if (file.mtimeMs !== undefined) await utimes(partial, file.mtimeMs / 1000, file.mtimeMs / 1000);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
