/**
 * An older worker talking to a newer server: error codes this version does not know arrive whole.
 * The newer server is a plain HTTP server on loopback answering what a later release could answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBottleError, taskKey } from '@bottle/protocol';
import { afterEach, expect, it } from 'vitest';
import { BottleClient } from '../src/index.js';

const key = taskKey('m.Task', { n: 1 });
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function newerServer(): Promise<string> {
  const http = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/report') {
      res.end(
        JSON.stringify({
          results: [
            { key, ok: false, error: { code: 'ERR_LEASE_MOVED', message: 'moved to another shard' } },
          ],
        }),
      );
    } else {
      res.statusCode = 422;
      res.end(
        JSON.stringify({ error: { code: 'ERR_QUOTA_EXCEEDED', message: 'this lab is over its quota' } }),
      );
    }
  });
  server = http;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

it("reads a report result with an error code it does not know, and raises a newer server's error as a BottleError", async () => {
  await using client = new BottleClient({ server: await newerServer(), retries: 0 });
  const answer = await client.report('w', [{ outcome: 'released', key, leaseToken: 't' }]);
  expect(answer.results).toEqual([
    { key, ok: false, error: { code: 'ERR_LEASE_MOVED', message: 'moved to another shard' } },
  ]);
  const error = await client.listScans().catch((e: unknown) => e);
  expect(isBottleError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED', status: 422 });
  expect((error as Error).message).toMatch(
    /GET http:\/\/127\.0\.0\.1:\d+\/v1\/scans answered 422: this lab is over its quota/,
  );
});
