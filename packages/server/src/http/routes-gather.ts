/**
 * Gathered outputs (`--gather DIR`): workers upload each finished task's output archive, and
 * `bottle gather` lists and downloads what the server holds. Mounted before the JSON body parser, so
 * that an upload's body reaches `receiveOutput` untouched; the lease is checked before a byte is read.
 */
import { pipeline } from 'node:stream/promises';
import {
  BottleError,
  hashSchema,
  isSha256Hex,
  type ListOutputsResponse,
  type OutputFilesResponse,
  scanNameSchema,
  type UploadResponse,
} from '@bottle/protocol';
import type { Request, Response, Router } from 'express';
import { listGathered, listOutputFiles, openOutputFile } from '../gather/files.js';
import { receiveOutput } from '../gather/receive.js';
import { streamOutput } from '../gather/stream.js';
import type { Store } from '../store/store.js';
import { parseWith } from './errors.js';
import type { RouteContext } from './routes-v1.js';

const keyParam = (req: Request) => parseWith(hashSchema, req.params['key'], 'key') as string;
function leaseTokenQuery(req: Request): string {
  const value = req.query['leaseToken'];
  if (typeof value !== 'string' || value === '' || value.length > 200) {
    throw new BottleError('ERR_BAD_REQUEST', 'leaseToken: pass the lease token of the claim as ?leaseToken=');
  }
  return value;
}
const hashParam = (req: Request) => parseWith(hashSchema, req.params['paramsHash'], 'paramsHash') as string;

/** Sends a file or archive stream; a failure after the headers cuts the connection (the client sees it). */
async function sendStream(res: Response, stream: NodeJS.ReadableStream, type: string, size?: number) {
  res.setHeader('content-type', type);
  if (size !== undefined) res.setHeader('content-length', String(size));
  await pipeline(stream, res).catch(() => {
    res.destroy();
  });
}

/** The parameter hashes of a scan's tasks (one pass over its tasks, page by page). */
async function scanHashes(store: Store, scan: string): Promise<Set<string>> {
  await store.getScan(scan);
  const hashes = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.listTasks({ scan, limit: 10_000, ...(cursor ? { cursor } : {}) });
    for (const task of page.tasks) hashes.add(task.paramsHash);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return hashes;
}

export function mountGatherRoutes(router: Router, context: RouteContext, ready: Promise<void>): void {
  const { store, gatherDir, maxUploadBytes } = context.options;
  const dir = async (): Promise<string> => {
    if (gatherDir === undefined) {
      throw new BottleError(
        'ERR_NOT_FOUND',
        'this server does not gather outputs; start it with --gather DIR (option gatherDir)',
      );
    }
    await ready;
    return gatherDir;
  };

  router.put('/v1/tasks/:key/output', async (req, res) => {
    const key = keyParam(req);
    const leaseToken = leaseTokenQuery(req);
    const root = await dir();
    // Before reading the body: a stale lease is answered at once, and nothing is written.
    const { paramsHash } = await store.beginUpload(key, leaseToken);
    const result = await receiveOutput(req, { gatherDir: root, paramsHash, maxBytes: maxUploadBytes });
    await store.recordUpload(key, leaseToken, result.bytes);
    res.json(result satisfies UploadResponse);
  });

  router.get('/v1/outputs', async (req, res) => {
    const root = await dir();
    let outputs = await listGathered(root);
    const scan = req.query['scan'];
    if (scan !== undefined) {
      const wanted = await scanHashes(store, parseWith(scanNameSchema, scan, 'scan') as string);
      outputs = outputs.filter((hash) => wanted.has(hash));
    }
    res.json({ outputs } satisfies ListOutputsResponse);
  });

  router.get('/v1/outputs/:paramsHash/files', async (req, res) => {
    const paramsHash = hashParam(req);
    const files = await listOutputFiles(await dir(), paramsHash);
    res.json({ paramsHash, files } satisfies OutputFilesResponse);
  });

  router.get('/v1/outputs/:paramsHash/files/*path', async (req, res) => {
    const paramsHash = hashParam(req);
    const segments = req.params['path'] as unknown as string[];
    const file = await openOutputFile(await dir(), paramsHash, segments.join('/'));
    await sendStream(res, file.stream, 'application/octet-stream', file.size);
  });

  router.get('/v1/outputs/:archive', async (req, res) => {
    const archive = req.params['archive'] ?? '';
    const paramsHash = archive.endsWith('.tar') ? archive.slice(0, -'.tar'.length) : '';
    if (!isSha256Hex(paramsHash)) {
      throw new BottleError(
        'ERR_NOT_FOUND',
        `no route GET ${req.originalUrl.split('?')[0]}; see docs/protocol.md`,
      );
    }
    const stream = await streamOutput(await dir(), paramsHash);
    await sendStream(res, stream, 'application/x-tar');
  });
}
