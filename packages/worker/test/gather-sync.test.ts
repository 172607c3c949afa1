import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isBottleError } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type RemoteOutput,
  type SyncOutputsOptions,
  type SyncProgress,
  syncOutputs,
} from '../src/gather/sync.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
let sandbox: { path: string; remove: () => void };
let remoteRoot: string;
let to: string;
let fetched: string[];

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function writeRemote(hash: string, path: string, data: Buffer | string): void {
  mkdirSync(join(remoteRoot, hash, path, '..'), { recursive: true });
  writeFileSync(join(remoteRoot, hash, path), data);
}

/** A stand-in for the server: lists `remoteRoot/<hash>/**` and serves its files, counting fetches. */
function remote(overrides: Partial<SyncOutputsOptions> = {}): SyncOutputsOptions {
  return {
    to,
    listRemote: async () =>
      readdirSync(remoteRoot).map((paramsHash): RemoteOutput => {
        const files = (
          readdirSync(join(remoteRoot, paramsHash), {
            recursive: true,
            withFileTypes: true,
          }) as import('node:fs').Dirent[]
        )
          .filter((entry) => entry.isFile())
          .map((entry) => {
            const absolute = join(entry.parentPath, entry.name);
            const data = readFileSync(absolute);
            const path = absolute.slice(join(remoteRoot, paramsHash).length + 1);
            return { path, size: data.length, sha256: sha256(data), mtimeMs: 1_700_000_000_000 };
          });
        return { paramsHash, files };
      }),
    fetchFile: async (paramsHash, path) => {
      fetched.push(`${paramsHash.slice(0, 1)}:${path}`);
      return createReadStream(join(remoteRoot, paramsHash, path));
    },
    ...overrides,
  };
}

beforeEach(() => {
  sandbox = makeTempDir('bottle-gather-sync-');
  remoteRoot = join(sandbox.path, 'remote');
  to = join(sandbox.path, 'local');
  fetched = [];
  writeRemote(H1, 'params.json', '{"a":1}');
  writeRemote(H1, 'deep/dir/out.bin', Buffer.alloc(100_000, 4));
  writeRemote(H2, 'params.json', '{"a":2}');
  writeRemote(H2, 'empty', '');
});
afterEach(() => sandbox.remove());

it('fetches everything into a fresh folder, byte-identical, reporting progress', async () => {
  const reports: SyncProgress[] = [];
  const final = await syncOutputs({ ...remote(), onProgress: (progress) => reports.push(progress) });
  expect(fetched.sort()).toEqual(['1:deep/dir/out.bin', '1:params.json', '2:empty', '2:params.json']);
  expect(final).toMatchObject({ totalFiles: 4, fetchedFiles: 4, upToDateFiles: 0, fetchedBytes: 100_014 });
  expect(reports[0]).toMatchObject({ toFetchFiles: 4, toFetchBytes: 100_014, fetchedFiles: 0 });
  expect(reports.at(-1)).toEqual(final);
  expect(reports).toHaveLength(5);
  expect(readFileSync(join(to, H1, 'deep/dir/out.bin')).equals(Buffer.alloc(100_000, 4))).toBe(true);
  expect(readFileSync(join(to, H2, 'params.json'), 'utf8')).toBe('{"a":2}');
});

it('fetches nothing the second time, and only what changed or went missing after that', async () => {
  await syncOutputs(remote());
  fetched = [];
  expect(await syncOutputs(remote())).toMatchObject({ fetchedFiles: 0, upToDateFiles: 4 });
  expect(fetched).toEqual([]);

  writeRemote(H1, 'params.json', '{"a":9}'); // same size, other content
  rmSync(join(to, H2, 'empty'));
  writeRemote(H2, 'new.txt', 'new');
  writeFileSync(join(to, H1, 'local-only.txt'), 'mine');
  expect(await syncOutputs(remote())).toMatchObject({ fetchedFiles: 3, upToDateFiles: 2 });
  expect(fetched.sort()).toEqual(['1:params.json', '2:empty', '2:new.txt']);
  expect(readFileSync(join(to, H1, 'params.json'), 'utf8')).toBe('{"a":9}');
  expect(readFileSync(join(to, H1, 'local-only.txt'), 'utf8')).toBe('mine');
});

it('refuses a download that does not match the listing, leaving no partial file', async () => {
  const options = remote({ fetchFile: async () => Readable.from([Buffer.from('tampered')]) });
  const error = await syncOutputs(options).catch((caught: unknown) => caught);
  expect(isBottleError(error, 'ERR_DOWNLOAD_CHECKSUM')).toBe(true);
  const leftovers = existsSync(to) ? readdirSync(to, { recursive: true }).map(String) : [];
  expect(leftovers.filter((name) => name.includes('bottle-partial') || name.endsWith('.json'))).toEqual([]);
});

it('refuses unsafe paths and hashes from the listing before writing anything', async () => {
  for (const listing of [
    [{ paramsHash: H1, files: [{ path: '../../escape', size: 1, sha256: sha256('x') }] }],
    [{ paramsHash: H1, files: [{ path: '/etc/passwd', size: 1, sha256: sha256('x') }] }],
    [{ paramsHash: '../up', files: [] }],
  ]) {
    const error = await syncOutputs(remote({ listRemote: async () => listing })).catch(
      (caught: unknown) => caught,
    );
    expect(isBottleError(error), String(error)).toBe(true);
  }
  expect(fetched).toEqual([]);
  expect(readdirSync(sandbox.path).sort()).toEqual(['remote']);
});

it('refuses to write through a symbolic link in the local folder', async () => {
  const elsewhere = join(sandbox.path, 'elsewhere');
  mkdirSync(elsewhere);
  mkdirSync(join(to, H1), { recursive: true });
  symlinkSync(elsewhere, join(to, H1, 'deep'));
  const error = await syncOutputs(remote()).catch((caught: unknown) => caught);
  expect(isBottleError(error, 'ERR_USAGE')).toBe(true);
  expect(readdirSync(elsewhere)).toEqual([]);
});
