/**
 * The output archive format, part of the wire protocol: the small part of tar that bottle speaks,
 * POSIX ustar headers with pax `x` records for long or non-ASCII paths and large sizes. Pure byte work, no I/O. Reading is strict on purpose: anything
 * bottle does not write itself is refused by the caller rather than interpreted.
 */

export const TAR_BLOCK = 512;

/** The archive entry that closes every bottle output archive: each file's size and SHA-256. */
export const OUTPUT_MANIFEST_NAME = '.bottle-manifest.json';

export interface TarHeaderFields {
  /** Raw path from the header (prefix + name), before any pax or GNU long-name override. */
  path: string;
  size: number;
  mode: number;
  mtimeMs: number;
  /** The typeflag character; `'0'` for a NUL typeflag (old regular files). */
  type: string;
}

/** Why a header block could not be decoded: the caller turns it into ERR_UPLOAD_CHECKSUM. */
export class TarFormatError extends Error {}

export function isZeroTarBlock(block: Buffer): boolean {
  for (let i = 0; i < TAR_BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

/** Octal (space/NUL padded) or GNU base-256 for values past the octal range. */
function readNumber(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  if ((field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) throw new TarFormatError(`negative ${what} in a tar header`);
    let value = field[0]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${what} too large in a tar header`);
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`malformed ${what} in a tar header`);
  return Number.parseInt(text, 8);
}

function checksumOf(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

export function decodeTarHeader(block: Buffer): TarHeaderFields {
  const stored = readNumber(block, 148, 8, 'checksum');
  if (stored !== checksumOf(block)) throw new TarFormatError('tar header checksum mismatch');
  const name = readString(block, 0, 100);
  // Only POSIX ustar ("ustar\0") has a prefix field; GNU's "ustar  " uses those bytes for other things.
  const isUstar = block.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = isUstar ? readString(block, 345, 155) : '';
  const typeChar = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  return {
    path: prefix ? `${prefix}/${name}` : name,
    size: readNumber(block, 124, 12, 'size'),
    mode: readNumber(block, 100, 8, 'mode'),
    mtimeMs: readNumber(block, 136, 12, 'mtime') * 1000,
    type: typeChar,
  };
}

/** Parses pax extended-header records (`"<len> <key>=<value>\n"`). */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) throw new TarFormatError('malformed pax record');
    const lengthText = data.toString('latin1', offset, space);
    const length = /^[1-9][0-9]*$/.test(lengthText) ? Number(lengthText) : Number.NaN;
    if (
      !Number.isSafeInteger(length) ||
      offset + length > data.length ||
      data[offset + length - 1] !== 0x0a
    ) {
      throw new TarFormatError('malformed pax record');
    }
    const record = data.toString('utf8', space + 1, offset + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError('malformed pax record');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}

// ---------------------------------------------------------------- writing

const MAX_OCTAL_SIZE = 0o77777777777;

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(
    `${Math.floor(value)
      .toString(8)
      .padStart(length - 1, '0')}\0`,
    offset,
    length,
    'latin1',
  );
}

function rawHeader(fields: {
  name: string;
  prefix: string;
  size: number;
  mode: number;
  mtimeMs: number;
  type: string;
}) {
  const block = Buffer.alloc(TAR_BLOCK);
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, fields.size > MAX_OCTAL_SIZE ? 0 : fields.size);
  writeOctal(block, 136, 12, Math.max(0, fields.mtimeMs / 1000));
  block.write(fields.type, 156, 1, 'latin1');
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeString(block, 345, 155, fields.prefix);
  block.write(`${checksumOf(block).toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  // The length counts its own digits: grow until stable.
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/** Splits a path into ustar name/prefix, or returns undefined when it needs a pax record. */
function splitUstar(path: string): { name: string; prefix: string } | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  if (!/^[\x01-\x7f]*$/.test(path)) return undefined;
  if (path.length <= 100) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    if (cut <= 155 && path.length - cut - 1 <= 100 && path.length - cut - 1 > 0) {
      return { prefix: path.slice(0, cut), name: path.slice(cut + 1) };
    }
  }
  return undefined;
}

/** The header block(s) for one entry, with a pax header first when the path or size needs one. */
export function encodeTarHeader(entry: {
  path: string;
  type: 'file' | 'dir';
  size: number;
  mode: number;
  mtimeMs: number;
}): Buffer {
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const split = splitUstar(path);
  let pax = '';
  if (!split) pax += paxRecord('path', path);
  if (entry.size > MAX_OCTAL_SIZE) pax += paxRecord('size', String(entry.size));
  const main = rawHeader({
    ...(split ?? { name: path.slice(0, 99), prefix: '' }),
    size: entry.size,
    mode: entry.mode,
    mtimeMs: entry.mtimeMs,
    type: entry.type === 'dir' ? '5' : '0',
  });
  if (!pax) return main;
  const paxData = Buffer.from(pax, 'utf8');
  const paxHeader = rawHeader({
    name: 'PaxHeader',
    prefix: '',
    size: paxData.length,
    mode: 0o644,
    mtimeMs: entry.mtimeMs,
    type: 'x',
  });
  return Buffer.concat([paxHeader, paxData, Buffer.alloc(tarPadding(paxData.length)), main]);
}

/** Zero bytes after `size` bytes of data to reach the next block boundary. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(2 * TAR_BLOCK);

/** One line of `.bottle-manifest.json`: a file of the archive with its size and SHA-256 (hex). */
export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * The closing bytes of every output archive: the `.bottle-manifest.json` entry listing each file
 * the sender streamed, then the end-of-archive marker.
 */
export function encodeArchiveEnd(files: ManifestFile[], mtimeMs = Date.now()): Buffer {
  const data = Buffer.from(JSON.stringify({ version: 1, files }));
  const header = encodeTarHeader({
    path: OUTPUT_MANIFEST_NAME,
    type: 'file',
    size: data.length,
    mode: 0o644,
    mtimeMs,
  });
  return Buffer.concat([header, data, Buffer.alloc(tarPadding(data.length)), TAR_END]);
}
