import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { makeTempDir } from '@bottle/test-utils';
import { x as extract, t as list } from 'tar';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { packOutput } from '../src/gather/pack.js';

let sandbox: { path: string; remove: () => void };
let out: string;

beforeEach(() => {
  sandbox = makeTempDir('bottle-gather-pack-');
  out = join(sandbox.path, 'out');
  mkdirSync(join(out, 'a', 'b'), { recursive: true });
  mkdirSync(join(out, 'empty-dir'));
  writeFileSync(join(out, 'params.json'), '{"a":1}');
  writeFileSync(join(out, 'a', 'b', 'data.bin'), Buffer.alloc(70_001, 5));
  writeFileSync(join(out, 'zero.txt'), '');
  writeFileSync(join(out, `${'long-'.repeat(30)}.txt`), 'long name');
  writeFileSync(join(out, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
});
afterEach(() => sandbox.remove());

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Relative path to `dir`, or size and SHA-256 for files. */
function snapshot(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        result[relative(root, path)] = 'dir';
        visit(path);
      } else if (entry.isFile())
        result[relative(root, path)] = `${statSync(path).size}:${sha256(readFileSync(path))}`;
      else result[relative(root, path)] = 'other';
    }
  };
  visit(root);
  return result;
}

it('produces a standard tar that tar(1)-compatible readers extract byte-identical', async () => {
  const dest = join(sandbox.path, 'extracted');
  mkdirSync(dest);
  const packed = packOutput(out);
  await pipeline(packed.stream, extract({ cwd: dest }));
  const done = await packed.done;
  const extracted = snapshot(dest);
  const manifest = JSON.parse(readFileSync(join(dest, '.bottle-manifest.json'), 'utf8'));
  delete extracted['.bottle-manifest.json'];
  expect(extracted).toEqual(snapshot(out));
  expect(done.files).toBe(5);
  expect(statSync(join(dest, 'run.sh')).mode & 0o111).not.toBe(0);
  // The manifest lists each file with the digest of its content.
  expect(manifest.version).toBe(1);
  for (const file of manifest.files) {
    expect(sha256(readFileSync(join(out, file.path)))).toBe(file.sha256);
  }
  expect(manifest.files.map((file: { path: string }) => file.path).sort()).toEqual(
    Object.entries(snapshot(out))
      .filter(([, kind]) => kind !== 'dir')
      .map(([path]) => path)
      .sort(),
  );
});

it('reports the digest and length of exactly the bytes it streamed', async () => {
  const packed = packOutput(out);
  const chunks: Buffer[] = [];
  for await (const chunk of packed.stream) chunks.push(chunk as Buffer);
  const archive = Buffer.concat(chunks);
  const done = await packed.done;
  expect(done.bytes).toBe(archive.length);
  expect(done.sha256).toBe(sha256(archive));
  expect(archive.length % 512).toBe(0);
});

it('leaves out links, fifos and a file named like the manifest, and says so', async () => {
  symlinkSync('/etc/passwd', join(out, 'link-out'));
  symlinkSync('params.json', join(out, 'a', 'link-in'));
  execFileSync('mkfifo', [join(out, 'pipe')]);
  writeFileSync(join(out, '.bottle-manifest.json'), 'not ours');
  const names: string[] = [];
  const packed = packOutput(out);
  await pipeline(packed.stream, list({ onReadEntry: (entry) => names.push(`${entry.type}:${entry.path}`) }));
  const done = await packed.done;
  expect(done.skipped.sort()).toEqual(['.bottle-manifest.json', 'a/link-in', 'link-out', 'pipe']);
  expect(names.filter((name) => !name.startsWith('File:') && !name.startsWith('Directory:'))).toEqual([]);
  expect(names.filter((name) => name === 'File:.bottle-manifest.json')).toHaveLength(1);
  expect(names.at(-1)).toBe('File:.bottle-manifest.json');
});

it('rejects done when the stream is destroyed before its end', async () => {
  const packed = packOutput(out);
  packed.stream.once('data', () => packed.stream.destroy());
  packed.stream.resume();
  await expect(packed.done).rejects.toThrow();
});

it('rejects done when the directory does not exist', async () => {
  const packed = packOutput(join(sandbox.path, 'missing'));
  packed.stream.resume();
  packed.stream.on('error', () => {});
  await expect(packed.done).rejects.toThrow(/ENOENT/);
});
