import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isBottleError } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listGathered, listOutputFiles, openOutputFile } from '../src/gather/files.js';
import { receiveOutput } from '../src/gather/receive.js';
import { recoverGatherDir } from '../src/gather/recover.js';
import { streamOutput } from '../src/gather/stream.js';
import { END, entry, goodArchive, paxEntry, sha256, snapshot } from './gather-helpers.js';

const HASH = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);
let sandbox: { path: string; remove: () => void };
let gatherDir: string;

beforeEach(() => {
  sandbox = makeTempDir('bottle-gather-receive-');
  gatherDir = join(sandbox.path, 'gather');
});
afterEach(() => sandbox.remove());

function inChunks(archive: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < archive.length; i += size) chunks.push(archive.subarray(i, i + size));
  return Readable.from(chunks);
}

async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const files = {
  'params.json': '{"a":1}',
  'status.json': '{"state":"done"}',
  'nested/deeper/data.bin': Buffer.alloc(3000, 9),
  'empty.txt': '',
};

describe('receiveOutput', () => {
  it('lands a good archive whole, in odd-sized chunks, and reports its digest', async () => {
    const archive = goodArchive(files);
    const result = await receiveOutput(inChunks(archive, 77), { gatherDir, paramsHash: HASH });
    expect(result).toEqual({ files: 4, bytes: archive.length, sha256: sha256(archive) });
    expect(readdirSync(gatherDir)).toEqual([HASH]);
    for (const [path, data] of Object.entries(files)) {
      expect(sha256(readFileSync(join(gatherDir, HASH, path)))).toBe(sha256(data));
    }
    // The manifest is checked, not kept: the directory holds exactly what the task wrote.
    expect(Object.keys(snapshot(join(gatherDir, HASH))).sort()).toEqual([
      'empty.txt',
      'nested',
      'nested/deeper',
      'nested/deeper/data.bin',
      'params.json',
      'status.json',
    ]);
  });

  it('accepts pax long paths, directory entries and an expected SHA-256 without a manifest', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}.txt`;
    const archive = Buffer.concat([
      entry({ name: 'dir/', type: '5' }),
      paxEntry({ path: long }),
      entry({ name: 'ignored-by-pax' }, 'long one'),
      END,
    ]);
    const result = await receiveOutput(Readable.from([archive]), {
      gatherDir,
      paramsHash: HASH,
      expectedSha256: sha256(archive),
    });
    expect(result.files).toBe(1);
    expect(readFileSync(join(gatherDir, HASH, long), 'utf8')).toBe('long one');
    expect(readdirSync(join(gatherDir, HASH)).sort()).toEqual(['d'.repeat(120), 'dir']);
  });

  it('replaces a repeated upload atomically and leaves no temporary directory', async () => {
    await receiveOutput(Readable.from([goodArchive({ 'old.txt': 'one', 'keep/a': 'x' })]), {
      gatherDir,
      paramsHash: HASH,
    });
    await receiveOutput(Readable.from([goodArchive({ 'new.txt': 'two' })]), { gatherDir, paramsHash: HASH });
    expect(readdirSync(gatherDir)).toEqual([HASH]);
    expect(readdirSync(join(gatherDir, HASH))).toEqual(['new.txt']);
  });

  it('serialises concurrent uploads of the same task: one of them wins, whole', async () => {
    const archives = Array.from({ length: 8 }, (_, i) =>
      goodArchive({ 'who.txt': String(i), [`only-${i}`]: Buffer.alloc(2000, i) }),
    );
    await Promise.all(
      archives.map((archive) => receiveOutput(inChunks(archive, 512), { gatherDir, paramsHash: HASH })),
    );
    expect(readdirSync(gatherDir)).toEqual([HASH]);
    const who = readFileSync(join(gatherDir, HASH, 'who.txt'), 'utf8');
    expect(readdirSync(join(gatherDir, HASH)).sort()).toEqual([`only-${who}`, 'who.txt']);
  });

  it('refuses a parameter hash that is not 64 hex digits', async () => {
    const error = await receiveOutput(Readable.from([goodArchive({})]), {
      gatherDir,
      paramsHash: '../x',
    }).catch((caught: unknown) => caught);
    expect(isBottleError(error, 'ERR_BAD_REQUEST')).toBe(true);
  });
});

describe('recoverGatherDir', () => {
  it('removes half uploads and puts back an output left aside by a crash', async () => {
    mkdirSync(join(gatherDir, '.incoming-abc'), { recursive: true });
    writeFileSync(join(gatherDir, '.incoming-abc', 'half'), 'x');
    mkdirSync(join(gatherDir, `.old-${HASH}-123`));
    writeFileSync(join(gatherDir, `.old-${HASH}-123`, 'kept.txt'), 'restored');
    mkdirSync(join(gatherDir, OTHER));
    mkdirSync(join(gatherDir, `.old-${OTHER}-456`));
    expect(await recoverGatherDir(gatherDir)).toEqual({ removed: 2, restored: 1 });
    expect(readdirSync(gatherDir).sort()).toEqual([HASH, OTHER]);
    expect(readFileSync(join(gatherDir, HASH, 'kept.txt'), 'utf8')).toBe('restored');
  });
});

describe('the download side', () => {
  beforeEach(async () => {
    await receiveOutput(Readable.from([goodArchive(files)]), { gatherDir, paramsHash: HASH });
  });

  it('lists gathered outputs and their files with size and SHA-256, skipping links', async () => {
    symlinkSync('/etc/passwd', join(gatherDir, HASH, 'planted-link'));
    expect(await listGathered(gatherDir)).toEqual([HASH]);
    const listed = await listOutputFiles(gatherDir, HASH);
    expect(listed.map(({ path, size, sha256: digest }) => ({ path, size, sha256: digest }))).toEqual(
      Object.entries(files)
        .map(([path, data]) => ({ path, size: Buffer.from(data).length, sha256: sha256(data) }))
        .sort((x, y) => (x.path < y.path ? -1 : 1)),
    );
    expect(listed.every((file) => file.mtimeMs > 0)).toBe(true);
  });

  it('throws ERR_NOT_FOUND for a task with no output', async () => {
    const error = await listOutputFiles(gatherDir, OTHER).catch((caught: unknown) => caught);
    expect(isBottleError(error, 'ERR_NOT_FOUND')).toBe(true);
  });

  it('opens one file, and refuses unsafe paths and planted links', async () => {
    const { stream, size } = await openOutputFile(gatherDir, HASH, 'nested/deeper/data.bin');
    expect(size).toBe(3000);
    expect(sha256(await streamToBuffer(stream))).toBe(sha256(files['nested/deeper/data.bin']));
    symlinkSync(join(sandbox.path), join(gatherDir, HASH, 'nested', 'out'));
    for (const [path, code] of [
      ['../../etc/passwd', 'ERR_BAD_REQUEST'],
      ['/etc/passwd', 'ERR_BAD_REQUEST'],
      ['nested/out/gather', 'ERR_NOT_FOUND'],
      ['nested', 'ERR_NOT_FOUND'],
      ['missing.txt', 'ERR_NOT_FOUND'],
    ] as const) {
      const error = await openOutputFile(gatherDir, HASH, path).catch((caught: unknown) => caught);
      expect(isBottleError(error, code), `${path}: ${String(error)}`).toBe(true);
    }
  });

  it('streams an output as an archive that receiveOutput accepts: same files, same bytes', async () => {
    const archive = await streamToBuffer(await streamOutput(gatherDir, HASH));
    const copy = join(sandbox.path, 'copy');
    await receiveOutput(inChunks(archive, 333), { gatherDir: copy, paramsHash: HASH });
    expect(snapshot(join(copy, HASH))).toEqual(snapshot(join(gatherDir, HASH)));
  });
});
