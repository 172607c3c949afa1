/**
 * receiveOutput behind a bare HTTP server, fed by the worker's packOutput: the round trip under the
 * router's upload route (gather-routes.test.ts tests the route itself).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BottleError, isBottleError } from '@bottle/protocol';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { packOutput } from '@bottle/worker/gather';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { receiveOutput } from '../src/gather/receive.js';
import { snapshot } from './gather-helpers.js';

const HASH = 'd'.repeat(64);
let sandbox: { path: string; remove: () => void };
let server: Server;
let baseUrl: string;
let lastUpload: Promise<unknown> | undefined;

beforeEach(async () => {
  sandbox = makeTempDir('bottle-gather-http-');
  const gatherDir = join(sandbox.path, 'gather');
  server = createServer((req, res) => {
    const paramsHash = req.url!.slice('/out/'.length);
    lastUpload = receiveOutput(req, { gatherDir, paramsHash, maxBytes: 256 * 1024 });
    lastUpload.then(
      (result) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      },
      (error: unknown) => {
        const failure = isBottleError(error) ? error : new BottleError('ERR_INTERNAL', 'internal error');
        // The body may not have been read to its end: Node discards the rest once the answer is sent
        // (nothing more is written to disk), so the client reads this answer instead of a reset.
        res.writeHead(failure.status ?? 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(failure.toJSON()));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  sandbox.remove();
});

function put(path: string, body: Readable): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method: 'PUT' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    // After an early answer the rest of the body may hit a closed socket: that is expected.
    req.on('error', (error) => (req.writableFinished ? undefined : reject(error)));
    body.pipe(req);
  });
}

it('uploads a packed output directory byte-identical, and the digests agree', async () => {
  const out = join(sandbox.path, 'task-out');
  mkdirSync(join(out, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(out, 'params.json'), '{"x":1}');
  writeFileSync(join(out, 'sub', 'deep', 'big.bin'), Buffer.alloc(150_000, 3));
  writeFileSync(join(out, 'é-unicode name.txt'), 'ü');
  writeFileSync(join(out, `${'n'.repeat(120)}.txt`), 'long name');
  const packed = packOutput(out);
  const { status, json } = await put(`/out/${HASH}`, packed.stream);
  const sent = await packed.done;
  expect(status).toBe(200);
  expect(json).toEqual({ files: sent.files, bytes: sent.bytes, sha256: sent.sha256 });
  expect(sent.files).toBe(4);
  expect(snapshot(join(sandbox.path, 'gather', HASH))).toEqual(snapshot(out));
});

it('answers 413 to an upload over the limit, with nothing left behind', async () => {
  const out = join(sandbox.path, 'too-big');
  mkdirSync(out);
  writeFileSync(join(out, 'huge.bin'), Buffer.alloc(2 * 1024 * 1024, 1));
  const { status, json } = await put(`/out/${HASH}`, packOutput(out).stream);
  expect(status).toBe(413);
  expect(json).toMatchObject({ error: { code: 'ERR_UPLOAD_TOO_LARGE' } });
  expect(snapshot(join(sandbox.path, 'gather'))).toEqual({});
});

it('leaves nothing behind when the uploader dies mid-upload, and keeps the previous output', async () => {
  const out = join(sandbox.path, 'task-out');
  mkdirSync(out);
  writeFileSync(join(out, 'first.txt'), 'first upload');
  expect((await put(`/out/${HASH}`, packOutput(out).stream)).status).toBe(200);
  const before = snapshot(join(sandbox.path, 'gather'));

  writeFileSync(join(out, 'big.bin'), Buffer.alloc(200_000, 1));
  lastUpload = undefined;
  const req = request(`${baseUrl}/out/${HASH}`, { method: 'PUT' });
  req.on('error', () => {});
  const packed = packOutput(out);
  let sent = 0;
  packed.stream.on('data', (chunk: Buffer) => {
    sent += chunk.length;
    req.write(chunk);
    // Like kill -9 of the worker: the connection drops with the archive half sent.
    if (sent > 100_000) {
      packed.stream.destroy();
      req.destroy();
    }
  });
  const error = await lastUploadSettled();
  expect(isBottleError(error, 'ERR_UPLOAD_CHECKSUM'), String(error)).toBe(true);
  expect(snapshot(join(sandbox.path, 'gather'))).toEqual(before);
});

/** Waits for the server's receiveOutput of the upload in flight, and returns its error. */
async function lastUploadSettled(): Promise<unknown> {
  // Wrapped: waitFor would wait for the promise itself.
  const { upload } = await waitFor(() => lastUpload && { upload: lastUpload }, {
    timeoutMs: 5_000,
    what: 'an upload to reach the server',
  });
  return upload.then(
    () => undefined,
    (error: unknown) => error,
  );
}
