/**
 * The streaming side of the client for gathered outputs: a file download as a Readable (its error
 * answer read and turned into a BottleError first), and a download into a local file.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Got } from 'got';
import { toBottleError } from './_http-errors.js';

/** `a/b c.txt` -> `a/b%20c.txt`: each segment encoded, the slashes kept. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * GETs `path` as a stream. Resolves once the answer's status is known: with the body stream on 2xx,
 * else rejects with the server's error (ERR_NOT_FOUND...). No retry: the caller decides.
 */
export async function openStream(
  got: Got,
  path: string,
  url: string,
  timeoutMs: number,
  options: { idleMs?: number; signal?: AbortSignal | undefined } = {},
): Promise<Readable> {
  const stream = got.stream(path, {
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { connect: timeoutMs, response: timeoutMs, socket: options.idleMs ?? timeoutMs },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let statusCode: number;
  try {
    statusCode = await new Promise<number>((resolve, reject) => {
      stream.once('response', (response: { statusCode: number }) => resolve(response.statusCode));
      stream.once('error', reject);
    });
  } catch (error) {
    stream.destroy();
    throw toBottleError(error, 'GET', url, timeoutMs);
  }
  if (statusCode >= 200 && statusCode < 300) return stream;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch {}
  const body = Buffer.concat(chunks).toString('utf8');
  throw toBottleError({ name: 'HTTPError', response: { statusCode, body } }, 'GET', url, timeoutMs);
}

/** Writes `source` to `dest` under a temporary name, renamed into place once complete. */
export async function streamToFile(source: Readable, dest: string): Promise<{ bytes: number }> {
  await mkdir(dirname(dest), { recursive: true });
  const partial = `${dest}.bottle-partial-${randomBytes(4).toString('hex')}`;
  let bytes = 0;
  try {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(partial, { flags: 'wx' }),
    );
    await rename(partial, dest);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { bytes };
}
