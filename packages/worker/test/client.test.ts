import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBottleError, taskKey } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { freePort } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { BottleClient, Worker } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: { token?: string } = {}) {
  const s = await startBottleServer({ port: 0, db: ':memory:', ...options });
  cleanups.push(() => s.close());
  return s;
}

function client(options: ConstructorParameters<typeof BottleClient>[0]) {
  const c = new BottleClient(options);
  cleanups.push(() => c.close());
  return c;
}

describe('BottleClient', () => {
  it('submits, lists and reads tasks, typed by the protocol', async () => {
    const s = await server();
    const c = client(s.url);
    expect(await c.health()).toMatchObject({ ok: true });
    const specs = Array.from({ length: 7 }, (_, n) => ({ task: 'm.Task', params: { n } }));
    const progress: number[] = [];
    const totals = await c.submitAll(specs, {
      scan: 's1',
      chunkSize: 3,
      onProgress: (p) => progress.push(p.submitted),
    });
    expect(totals).toEqual({ submitted: 7, created: 7, existing: 0, requeued: 0 });
    expect(progress).toEqual([3, 6, 7]);
    expect(await c.submit(specs.slice(0, 2), { scan: 's1' })).toMatchObject({ created: 0, existing: 2 });
    const detail = await c.getTask(taskKey('m.Task', { n: 3 }));
    expect(detail.task).toMatchObject({ state: 'queued', scan: 's1', params: { n: 3 } });
    expect((await c.getScan('s1')).counts.queued).toBe(7);
    expect(await c.cancelScan('s1')).toEqual({ count: 7 });
    expect(await c.rerunScan('s1')).toEqual({ count: 7 });
  });

  it("turns a server's error body into a BottleError with its code, method, URL and status", async () => {
    const s = await server();
    const c = client(s.url);
    const error = await c.getTask('0'.repeat(64)).catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/tasks\/0+ answered 404: /);
  });

  it('needs the token when the server has one, and never shows it', async () => {
    const s = await server({ token: 'sekrit-token' });
    const anonymous = await client(s.url)
      .listScans()
      .catch((e: unknown) => e);
    expect(isBottleError(anonymous, 'ERR_UNAUTHORIZED')).toBe(true);
    expect((await client({ server: s.url, token: 'sekrit-token' }).listScans()).scans).toEqual([]);
    const wrong = await client({ server: s.url.replace('http://', 'http://user:pw@'), token: 'bad' })
      .listScans()
      .catch((e: unknown) => e);
    expect(isBottleError(wrong, 'ERR_UNAUTHORIZED')).toBe(true);
    expect(String((wrong as Error).message)).not.toMatch(/bad|pw|user/);
  });

  it('reports an unreachable server as ERR_SERVER_UNREACHABLE, without credentials in the message', async () => {
    const port = await freePort();
    const c = client({ server: `http://me:secret@127.0.0.1:${port}`, retries: 1, retryDelayMs: 10 });
    const error = await c.listScans().catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_SERVER_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/v1/scans failed`),
    );
    expect((error as Error).message).not.toContain('secret');
    expect(JSON.stringify((error as Error).cause ?? {})).not.toContain('secret');
  });

  it("retries a claim answered 503, keeps an error body's code, and times a claim out as ERR_TIMEOUT", async () => {
    let claims = 0;
    const fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/v1/claim' && ++claims === 1) {
          res.writeHead(503).end('busy');
        } else if (req.url === '/v1/claim') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ tasks: [], leaseMs: 1000, heartbeatMs: 100 }));
        } else if (req.url === '/v1/report') {
          res.writeHead(409, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'ERR_STALE_LEASE', message: 'taken over' } }));
        } // /v1/tasks: never answered
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => fake.close(resolve)));
    cleanups.push(() => fake.closeAllConnections());
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const c = client({ server: url, retries: 1, retryDelayMs: 1, timeoutMs: 200 });
    const answer = await c.claim({ workerId: 'w', host: 'h', max: 1, waitMs: 0 });
    expect(answer.tasks).toEqual([]);
    expect(claims).toBe(2);
    const refused = await c.report('w', []).catch((e: unknown) => e);
    expect(isBottleError(refused, 'ERR_STALE_LEASE')).toBe(true);
    expect((refused as Error).message).toBe(`POST ${url}/v1/report answered 409: taken over`);
    const late = await client({ server: url, retries: 0, timeoutMs: 50 })
      .submit([{ task: 'm.Task', params: {} }])
      .catch((e: unknown) => e);
    expect(isBottleError(late, 'ERR_TIMEOUT')).toBe(true);
  });

  it('cancels a long-poll claim with an AbortSignal', async () => {
    const s = await server();
    const c = client(s.url);
    const abort = new AbortController();
    const claim = c.claim({ workerId: 'w', host: 'h', max: 1, waitMs: 30_000 }, { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('enough')), 100);
    await expect(claim).rejects.toThrow('enough');
  });
});

describe('Worker options', () => {
  it('rejects unknown keys and bad values, naming them', () => {
    expect(() => new Worker({ server: 'http://127.0.0.1:1', slotz: 2 } as never)).toThrow(
      /unknown option "slotz"/,
    );
    expect(() => new Worker({ server: 'http://127.0.0.1:1', slots: 0 })).toThrow(
      /`slots` must be an integer >= 1/,
    );
    expect(() => new Worker({})).toThrow(/give `server`/);
  });

  it('fails run() at once when the server was never reached (a wrong URL), instead of retrying forever', async () => {
    const port = await freePort();
    const worker = new Worker({ client: client({ server: `http://127.0.0.1:${port}`, retries: 0 }) });
    const error = await worker.run().catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_SERVER_UNREACHABLE')).toBe(true);
  });
});
