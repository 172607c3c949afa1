/**
 * Hand-made tar archives for the gather tests: raw 512-byte headers written field by field, so that
 * hostile archives (absolute paths, "..", links, devices, lying sizes) can be built exactly, without
 * going through the code under test.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface RawHeader {
  name: string;
  /** Typeflag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' pax, 'L' GNU. */
  type?: string;
  size?: number;
  /** Written in the size field instead of `size` (for lying headers). */
  sizeField?: string;
  linkname?: string;
  mode?: number;
  prefix?: string;
  /** Corrupt the checksum on purpose. */
  badChecksum?: boolean;
}

function put(block: Buffer, offset: number, length: number, text: string): void {
  Buffer.from(text, 'utf8').copy(block, offset, 0, length);
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

export function rawHeader(header: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  put(block, 0, 100, header.name);
  put(block, 100, 8, octal(header.mode ?? 0o644, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, header.sizeField ?? octal(header.size ?? 0, 12));
  put(block, 136, 12, octal(1_700_000_000, 12));
  put(block, 156, 1, header.type ?? '0');
  put(block, 157, 100, header.linkname ?? '');
  put(block, 257, 6, 'ustar\0');
  put(block, 263, 2, '00');
  put(block, 345, 155, header.prefix ?? '');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (header.badChecksum) sum += 1;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function pad(length: number): Buffer {
  return Buffer.alloc((512 - (length % 512)) % 512);
}

/** A header followed by its data and padding. */
export function entry(header: RawHeader, data: Buffer | string = ''): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([rawHeader({ size: bytes.length, ...header }), bytes, pad(bytes.length)]);
}

export function paxEntry(records: Record<string, string>): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const tail = ` ${key}=${value}\n`;
    const n = Buffer.byteLength(tail);
    let length = n + 1;
    while (String(length).length + n !== length) length = String(length).length + n;
    body += `${length}${tail}`;
  }
  return entry({ name: 'PaxHeader', type: 'x' }, body);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The closing `.bottle-manifest.json` entry for these files. */
export function manifestEntry(files: Record<string, Buffer | string>): Buffer {
  const list = Object.entries(files).map(([path, data]) => ({
    path,
    size: Buffer.from(data).length,
    sha256: sha256(data),
  }));
  return entry({ name: '.bottle-manifest.json' }, JSON.stringify({ version: 1, files: list }));
}

export const END = Buffer.alloc(1024);

/** A well-formed archive of these files (directories implied), with its manifest. */
export function goodArchive(files: Record<string, Buffer | string>): Buffer {
  return Buffer.concat([
    ...Object.entries(files).map(([path, data]) => entry({ name: path }, data)),
    manifestEntry(files),
    END,
  ]);
}

/** Every path under `root` with its size (or `dir`/`link`), for before/after comparisons. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const key = relative(root, path);
      if (entry.isSymbolicLink()) out[key] = 'link';
      else if (entry.isDirectory()) {
        out[key] = 'dir';
        visit(path);
      } else out[key] = `${statSync(path).size}:${sha256(readFileSync(path))}`;
    }
  };
  visit(root);
  return out;
}
