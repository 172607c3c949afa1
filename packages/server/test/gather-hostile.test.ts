import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type ErrorCode, isBottleError } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { receiveOutput } from '../src/gather/receive.js';
import {
  END,
  entry,
  goodArchive,
  manifestEntry,
  paxEntry,
  rawHeader,
  sha256,
  snapshot,
} from './gather-helpers.js';

const HASH = 'a'.repeat(64);
let sandbox: { path: string; remove: () => void };
let gatherDir: string;

beforeEach(async () => {
  sandbox = makeTempDir('bottle-gather-hostile-');
  gatherDir = join(sandbox.path, 'gather');
  mkdirSync(join(sandbox.path, 'victim'));
  writeFileSync(join(sandbox.path, 'victim', 'file'), 'precious');
  // A previous, good upload of the same task: a refused re-upload must leave it exactly as it was.
  await receiveOutput(Readable.from([goodArchive({ 'old.txt': 'previous output' })]), {
    gatherDir,
    paramsHash: HASH,
  });
});

afterEach(() => sandbox.remove());

/** Splits into small chunks so that headers straddle chunk boundaries. */
function chunked(archive: Buffer, size = 100): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < archive.length; i += size) chunks.push(archive.subarray(i, i + size));
  return Readable.from(chunks);
}

async function expectRefused(
  archive: Buffer,
  code: ErrorCode,
  options: { entry?: string; maxBytes?: number; maxEntries?: number; expectedSha256?: string } = {},
) {
  const before = snapshot(sandbox.path);
  const error = await receiveOutput(chunked(archive), {
    gatherDir,
    paramsHash: HASH,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
    ...(options.expectedSha256 ? { expectedSha256: options.expectedSha256 } : {}),
  }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isBottleError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  if (options.entry !== undefined) expect((error as Error).message).toContain(JSON.stringify(options.entry));
  // Nothing written anywhere in the sandbox (no temp dir left, previous output intact, victim untouched).
  expect(snapshot(sandbox.path)).toEqual(before);
}

const ok = (name: string, data = 'x') => entry({ name }, data);

describe('receiveOutput refuses hostile archives', () => {
  it('an absolute path', async () => {
    const name = join(sandbox.path, 'victim', 'abs');
    await expectRefused(Buffer.concat([ok(name), END]), 'ERR_UPLOAD_REJECTED', { entry: name });
  });

  it.each(['../x', 'a/../../x', './../victim/file', 'a/b/../../../x', '..'])(
    'a ".." path: %s',
    async (name) => {
      await expectRefused(Buffer.concat([ok('fine.txt'), ok(name), END]), 'ERR_UPLOAD_REJECTED', {
        entry: name,
      });
    },
  );

  it('a ".." hidden in the ustar prefix field', async () => {
    const archive = Buffer.concat([entry({ name: 'x', prefix: '../victim' }, 'evil'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: '../victim/x' });
  });

  it('a backslash path', async () => {
    await expectRefused(Buffer.concat([ok('..\\..\\x'), END]), 'ERR_UPLOAD_REJECTED', { entry: '..\\..\\x' });
  });

  it('a pax path override pointing out', async () => {
    const archive = Buffer.concat([paxEntry({ path: '../../victim/file' }), ok('innocent'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: '../../victim/file' });
  });

  it('a pax path with a NUL byte', async () => {
    const archive = Buffer.concat([paxEntry({ path: 'ok\0/../../x' }), ok('innocent'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED');
  });

  it('a GNU long name pointing out', async () => {
    const archive = Buffer.concat([
      entry({ name: '././@LongLink', type: 'L' }, '../../victim/file\0'),
      ok('x'),
      END,
    ]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: '../../victim/file' });
  });

  it('a symlink pointing out, then a write through it', async () => {
    const archive = Buffer.concat([
      entry({ name: 'link', type: '2', linkname: '../../victim' }),
      ok('link/file', 'overwritten'),
      END,
    ]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'link' });
  });

  it('a symlink pointing inside (all links are refused)', async () => {
    const archive = Buffer.concat([ok('a'), entry({ name: 'b', type: '2', linkname: 'a' }), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'b' });
  });

  it('a hard link pointing out', async () => {
    const target = join(sandbox.path, 'victim', 'file');
    const archive = Buffer.concat([entry({ name: 'hl', type: '1', linkname: target }), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'hl' });
  });

  it('a pax linkpath', async () => {
    const archive = Buffer.concat([paxEntry({ linkpath: '/etc/passwd' }), ok('x'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED');
  });

  it.each([
    ['3', 'a character device'],
    ['4', 'a block device'],
    ['6', 'a fifo'],
    ['S', 'a sparse file'],
    ['Z', 'an unknown type'],
  ])('type %s: %s', async (type, _what) => {
    const archive = Buffer.concat([entry({ name: 'special', type }), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'special' });
  });

  it('a header that declares more than the limit (a lying size)', async () => {
    const archive = Buffer.concat([
      ok('small.txt'),
      rawHeader({ name: 'big', size: 10 * 1024 * 1024 * 1024 }),
      Buffer.alloc(512),
      END,
    ]);
    await expectRefused(archive, 'ERR_UPLOAD_TOO_LARGE', { entry: 'big' });
  });

  it('files that together declare more than the limit', async () => {
    const data = Buffer.alloc(40_000, 1);
    const archive = Buffer.concat([
      ok('1', data.toString()),
      ok('2', data.toString()),
      ok('3', data.toString()),
      END,
    ]);
    await expectRefused(archive, 'ERR_UPLOAD_TOO_LARGE', { entry: '3', maxBytes: 100_000 });
  });

  it('an archive whose raw bytes exceed the limit (many empty files)', async () => {
    const files = Array.from({ length: 300 }, (_, i) => ok(`f${i}`, ''));
    await expectRefused(Buffer.concat([...files, END]), 'ERR_UPLOAD_TOO_LARGE', { maxBytes: 64 * 1024 });
  });

  it('more entries than allowed (empty files cost inodes, not bytes)', async () => {
    const files = Array.from({ length: 20 }, (_, i) => ok(`f${i}`, ''));
    await expectRefused(Buffer.concat([...files, END]), 'ERR_UPLOAD_TOO_LARGE', {
      entry: 'f10',
      maxEntries: 10,
    });
  });

  it('endless bytes after the end marker', async () => {
    const archive = Buffer.concat([goodArchive({ a: 'b' }), Buffer.alloc(200_000)]);
    await expectRefused(archive, 'ERR_UPLOAD_TOO_LARGE', { maxBytes: 100_000 });
  });

  it('a truncated archive (cut inside a file)', async () => {
    const archive = goodArchive({ 'data.bin': Buffer.alloc(5000, 7) });
    await expectRefused(archive.subarray(0, 2000), 'ERR_UPLOAD_CHECKSUM');
  });

  it('a truncated archive (no end marker)', async () => {
    const files = { 'a.txt': 'alpha' };
    await expectRefused(Buffer.concat([ok('a.txt', 'alpha'), manifestEntry(files)]), 'ERR_UPLOAD_CHECKSUM');
  });

  it('a header with a bad checksum', async () => {
    await expectRefused(
      Buffer.concat([rawHeader({ name: 'x', badChecksum: true }), END]),
      'ERR_UPLOAD_CHECKSUM',
    );
  });

  it('a non-numeric size field', async () => {
    await expectRefused(
      Buffer.concat([rawHeader({ name: 'x', sizeField: '12ab\0' }), END]),
      'ERR_UPLOAD_CHECKSUM',
    );
  });

  it('an archive without a manifest', async () => {
    await expectRefused(Buffer.concat([ok('a.txt', 'alpha'), END]), 'ERR_UPLOAD_CHECKSUM');
  });

  it('a file that does not match the manifest', async () => {
    const archive = Buffer.concat([ok('a.txt', 'alphA'), manifestEntry({ 'a.txt': 'alpha' }), END]);
    await expectRefused(archive, 'ERR_UPLOAD_CHECKSUM');
  });

  it('a file missing from the manifest', async () => {
    const archive = Buffer.concat([
      ok('a.txt', 'alpha'),
      ok('extra', 'e'),
      manifestEntry({ 'a.txt': 'alpha' }),
      END,
    ]);
    await expectRefused(archive, 'ERR_UPLOAD_CHECKSUM');
  });

  it('an entry after the manifest', async () => {
    const archive = Buffer.concat([manifestEntry({}), ok('late.txt'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'late.txt' });
  });

  it('the same path twice', async () => {
    const archive = Buffer.concat([ok('a.txt'), ok('./a.txt'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: './a.txt' });
  });

  it('a file where a directory was', async () => {
    const archive = Buffer.concat([ok('d/x'), ok('d'), END]);
    await expectRefused(archive, 'ERR_UPLOAD_REJECTED', { entry: 'd' });
  });

  it('an archive whose SHA-256 differs from the expected one', async () => {
    const archive = goodArchive({ 'a.txt': 'alpha' });
    await expectRefused(archive, 'ERR_UPLOAD_CHECKSUM', { expectedSha256: sha256('something else') });
  });
});
