/**
 * The request body parser of every JSON route (and the legacy form route): one pass from bytes to a
 * value. It decodes `Content-Encoding` (gzip, deflate, br) with the size limit counted on the decoded
 * bytes, so that a small compressed body cannot expand past it; decodes UTF-8 strictly, so that no
 * byte is silently replaced; and parses JSON into `req.body`. Nesting and what JSON values may hold
 * are checked by the request schemas (`MAX_JSON_DEPTH`), in the walk they make anyway.
 */
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { BottleError, parseByteSize as readByteSize } from '@bottle/protocol';
import type { Request, RequestHandler } from 'express';

export type BodyKind = 'json' | 'form';

const decoders: Record<string, (() => NodeJS.ReadWriteStream) | undefined> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};
const encodingNames: Record<string, string> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
};

/**
 * The router's `bodyLimit` in bytes, read as every size in bottle is (`parseByteSize`: MB is 10^6
 * bytes, MiB 2^20); a bad one is a TypeError naming the option.
 */
export function parseByteSize(value: string | number, option = 'bodyLimit'): number {
  const bytes = readByteSize(value);
  if (bytes === undefined) {
    throw new TypeError(
      `createBottleRouter: option '${option}' must be a size like '16MiB' or a number of bytes`,
    );
  }
  return bytes;
}

function mediaType(req: Request): { type: string; charset: string | undefined } {
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  let charset: string | undefined;
  for (const param of params) {
    const [name, raw] = param.split('=');
    if (name?.trim().toLowerCase() === 'charset') charset = raw?.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

function kindOf(type: string): BodyKind | undefined {
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))
    return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

const unsupported = (what: string) =>
  new BottleError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `${what}; send UTF-8 JSON with Content-Type: application/json, uncompressed or gzip, deflate or br`,
  );

const tooLarge = (limit: number) =>
  new BottleError(
    'ERR_PAYLOAD_TOO_LARGE',
    `the body exceeds the server's limit of ${limit} bytes (after decompression): send fewer tasks per request, or raise the server's bodyLimit`,
  );

/** Reads the whole body, decoded, refusing it once it passes `limit` bytes. */
function readBody(req: Request, encoding: string | undefined, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const decoder = encoding === undefined ? undefined : decoders[encoding]!();
    const source: Readable | NodeJS.ReadWriteStream = decoder ? req.pipe(decoder) : req;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: BottleError | undefined) => {
      if (settled) return;
      settled = true;
      if (error) {
        req.unpipe();
        // Stop reading (and inflating) but leave the socket to the answer.
        if (decoder) (decoder as unknown as Readable).destroy();
        req.resume();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    });
    source.on('end', () => finish(undefined));
    source.on('error', (error: Error) => {
      const name = encoding === undefined ? '' : encodingNames[encoding];
      finish(
        new BottleError(
          'ERR_BAD_REQUEST',
          `body: not valid ${name} data (${error.message}); send the body as its Content-Encoding says`,
        ),
      );
    });
    req.on('aborted', () => finish(new BottleError('ERR_BAD_REQUEST', 'body: the request was aborted')));
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BottleError('ERR_BAD_REQUEST', 'body: not valid UTF-8; send the body encoded as UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // A RangeError (nesting past the engine's stack) is a bad body too.
    throw new BottleError('ERR_BAD_REQUEST', `body: not valid JSON (${(error as Error).message})`);
  }
}

function parseForm(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // Own data properties: a field named __proto__ stays a field.
  for (const [name, value] of new URLSearchParams(text)) {
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}

/**
 * Parses bodies of the `kinds` given into `req.body`. A body of another type is left unread
 * (`req.body` stays undefined and the route says what it expects); a body already parsed by the
 * host application is kept.
 */
export function bodyParser(limit: number, kinds: readonly BodyKind[]): RequestHandler {
  return (req, _res, next) => {
    if (req.body !== undefined || req.readableEnded) return next();
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
      return next();
    }
    const { type, charset } = mediaType(req);
    const kind = kindOf(type);
    if (kind === undefined || !kinds.includes(kind)) return next();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(unsupported(`charset ${charset} is not supported`));
    }
    const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (coding !== 'identity' && decoders[coding] === undefined) {
      return next(unsupported(`Content-Encoding ${coding} is not supported`));
    }
    if (length !== undefined && Number(length) > limit) return next(tooLarge(limit));
    readBody(req, coding === 'identity' ? undefined : coding, limit)
      .then((bytes) => {
        const text = decodeText(bytes);
        if (text.trim() === '') return undefined;
        if (kind === 'form') return parseForm(text);
        // The 2013 client posts `data=<JSON>` as a form under a JSON Content-Type: its server
        // read any body as a form. Where forms are taken, a body that is not JSON gets that chance.
        if (kinds.includes('form') && text.startsWith('data=')) return parseForm(text);
        return parseJson(text);
      })
      .then((body) => {
        if (body !== undefined) req.body = body;
        next();
      }, next);
  };
}
