// biome-ignore-all lint/suspicious/noExplicitAny: reply bodies are arbitrary JSON, checked by each test's assertions
/**
 * The gather routes of a real server started with `gatherDir`: uploads checked against the lease
 * before their body is read, `done` refused until the upload is committed, and the download routes
 * that `bottle gather` uses.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { decodeTarHeader } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { goodArchive, sha256, snapshot } from './gather-helpers.js';
import { call, quietLogger, type Reply, specs, startTestServer, type TestServer, worker } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

const FILES = {
  'params.json': '{"i":0}',
  'sub/data.bin': Buffer.alloc(3000, 7),
  'result.json': '{"loss":1}',
};

async function gatherServer(
  options: { token?: string; maxUploadBytes?: number } = {},
  reuse?: TestServer,
): Promise<{ ts: TestServer; gatherDir: string }> {
  const temp = reuse ? undefined : makeTempDir('bottle-gather-routes-');
  const dir = reuse?.dir ?? temp!.path;
  const gatherDir = join(dir, 'gather');
  const server = await startBottleServer({
    port: 0,
    db: join(dir, 'bottle.db'),
    logger: quietLogger,
    leaseMs: 5_000,
    gatherDir,
    ...options,
  });
  ts = {
    server,
    url: server.url,
    dir,
    db: join(dir, 'bottle.db'),
    call: (method, path, body, init) =>
      call(server.url, method, path, body, { ...(options.token ? { token: options.token } : {}), ...init }),
    async close() {
      await server.close();
      temp?.remove();
      await reuse?.close();
    },
  };
  return { ts, gatherDir };
}

/** PUT a body to the server with node:http; `hold` keeps the body open (never ends it). */
function put(
  url: string,
  body: Buffer,
  options: { hold?: boolean; token?: string } = {},
): Promise<Reply & { bodyEnded: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-tar' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = request(url, { method: 'PUT', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: JSON.parse(text), bodyEnded: req.writableEnded });
        if (options.hold) req.destroy();
      });
    });
    req.on('error', (error) => (req.writableEnded || options.hold ? undefined : reject(error)));
    if (options.hold) req.write(body.subarray(0, 1024));
    else req.end(body);
  });
}

async function submitAndClaim(t: TestServer) {
  await t.call('POST', '/v1/tasks', { tasks: specs(2), scan: 's1' });
  const claim = await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 });
  return { claim: claim.body, task: claim.body.tasks[0] };
}

const outputUrl = (t: TestServer, key: string, leaseToken: string) =>
  `${t.url}/v1/tasks/${key}/output?leaseToken=${encodeURIComponent(leaseToken)}`;

describe('with gatherDir', () => {
  it('tells workers to upload, refuses done until the upload is committed, then accepts it', async () => {
    const { ts: t, gatherDir } = await gatherServer({ maxUploadBytes: 1_000_000 });
    const { claim, task } = await submitAndClaim(t);
    expect(claim.upload).toEqual({ maxBytes: 1_000_000 });

    const early = await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('ERR_CONFLICT');
    expect(early.body.error.message).toMatch(/upload the output first/);
    const batch = await t.call('POST', '/v1/report', {
      workerId: worker.workerId,
      reports: [{ outcome: 'done', key: task.key, leaseToken: task.leaseToken }],
    });
    expect(batch.body.results[0]).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task.state).toBe('running');

    const archive = goodArchive(FILES);
    const uploaded = await put(outputUrl(t, task.key, task.leaseToken), archive);
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toEqual({ files: 3, bytes: archive.length, sha256: sha256(archive) });
    expect(snapshot(join(gatherDir, task.paramsHash))).toEqual(
      snapshot(writeTree(join(t.dir, 'expected'), FILES)),
    );

    const done = await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(done.status).toBe(200);
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task.state).toBe('done');
  });

  it('refuses an upload from a stale lease before reading its body, writing nothing', async () => {
    const { ts: t, gatherDir } = await gatherServer();
    const { task } = await submitAndClaim(t);
    // The body is never finished: the answer can only come from a check made before reading it.
    const stale = await put(outputUrl(t, task.key, 'not-the-lease'), goodArchive(FILES), { hold: true });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('ERR_STALE_LEASE');
    expect(stale.bodyEnded).toBe(false);
    const missing = await put(outputUrl(t, 'f'.repeat(64), task.leaseToken), goodArchive(FILES));
    expect(missing.status).toBe(404);
    const noToken = await put(`${t.url}/v1/tasks/${task.key}/output`, goodArchive(FILES));
    expect(noToken.status).toBe(400);
    expect(readdirSync(gatherDir)).toEqual([]);
    // A later upload under the real lease still works.
    expect((await put(outputUrl(t, task.key, task.leaseToken), goodArchive(FILES))).status).toBe(200);
  });

  it('refuses an archive over maxUploadBytes with 413 and keeps nothing', async () => {
    const { ts: t, gatherDir } = await gatherServer({ maxUploadBytes: 4096 });
    const { task } = await submitAndClaim(t);
    const big = goodArchive({ 'big.bin': Buffer.alloc(20_000, 1) });
    const refused = await put(outputUrl(t, task.key, task.leaseToken), big);
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe('ERR_UPLOAD_TOO_LARGE');
    expect(snapshot(gatherDir)).toEqual({});
    const done = await t.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(done.body.error.code).toBe('ERR_CONFLICT');
  });

  it('lists and serves gathered outputs: hashes (by scan), file manifests, single files and archives', async () => {
    const { ts: t } = await gatherServer();
    const { task } = await submitAndClaim(t);
    await put(outputUrl(t, task.key, task.leaseToken), goodArchive(FILES));
    await t.call('POST', '/v1/tasks', { tasks: [{ task: 'other.task', params: { z: 1 } }], scan: 's2' });

    expect((await t.call('GET', '/v1/outputs')).body).toEqual({ outputs: [task.paramsHash] });
    expect((await t.call('GET', '/v1/outputs?scan=s1')).body).toEqual({ outputs: [task.paramsHash] });
    expect((await t.call('GET', '/v1/outputs?scan=s2')).body).toEqual({ outputs: [] });
    expect((await t.call('GET', '/v1/outputs?scan=nope')).status).toBe(404);

    const listing = await t.call('GET', `/v1/outputs/${task.paramsHash}/files`);
    expect(listing.status).toBe(200);
    expect(listing.body.paramsHash).toBe(task.paramsHash);
    expect(listing.body.files.map((f: any) => [f.path, f.size, f.sha256])).toEqual(
      Object.entries(FILES)
        .map(([path, data]) => [path, Buffer.from(data).length, sha256(data)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );

    const one = await fetch(`${t.url}/v1/outputs/${task.paramsHash}/files/sub/data.bin`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-length')).toBe('3000');
    expect(sha256(Buffer.from(await one.arrayBuffer()))).toBe(sha256(FILES['sub/data.bin']));
    expect((await t.call('GET', `/v1/outputs/${task.paramsHash}/files/nope.txt`)).status).toBe(404);
    const sneaky = await t.call('GET', `/v1/outputs/${task.paramsHash}/files/sub/..%2F..%2F..%2Fbottle.db`);
    expect([400, 404]).toContain(sneaky.status);
    expect((await t.call('GET', `/v1/outputs/${'0'.repeat(64)}/files`)).status).toBe(404);
    expect((await t.call('GET', '/v1/outputs/not-a-hash/files')).status).toBe(400);

    const tar = await fetch(`${t.url}/v1/outputs/${task.paramsHash}.tar`);
    expect(tar.status).toBe(200);
    expect(tar.headers.get('content-type')).toBe('application/x-tar');
    const bytes = Buffer.from(await tar.arrayBuffer());
    expect(tarNames(bytes)).toEqual([
      'params.json',
      'result.json',
      'sub',
      'sub/data.bin',
      '.bottle-manifest.json',
    ]);
  });

  it('requires the token on the upload and download routes', async () => {
    const { ts: t } = await gatherServer({ token: 's3cret' });
    const { task } = await submitAndClaim(t);
    expect((await put(outputUrl(t, task.key, task.leaseToken), goodArchive(FILES))).status).toBe(401);
    expect(
      (await put(outputUrl(t, task.key, task.leaseToken), goodArchive(FILES), { token: 's3cret' })).status,
    ).toBe(200);
    for (const path of [
      '/v1/outputs',
      `/v1/outputs/${task.paramsHash}/files`,
      `/v1/outputs/${task.paramsHash}/files/params.json`,
      `/v1/outputs/${task.paramsHash}.tar`,
    ]) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(401);
      const ok = await fetch(`${t.url}${path}`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status, path).toBe(200);
      await ok.arrayBuffer();
    }
  });

  it('clears half uploads left by a previous run at start-up', async () => {
    const { ts: first, gatherDir } = await gatherServer();
    await first.server.close();
    mkdirSync(join(gatherDir, '.incoming-leftover', 'x'), { recursive: true });
    writeFileSync(join(gatherDir, '.incoming-leftover', 'x', 'half.bin'), 'half');
    // The second server's close() also removes the first's temp dir.
    const { ts: t } = await gatherServer({}, first);
    expect((await t.call('GET', '/v1/outputs')).body).toEqual({ outputs: [] });
    expect(readdirSync(gatherDir)).toEqual([]);
  });
});

describe('without gatherDir', () => {
  it('asks for no upload, accepts done at once, and answers 404 on the gather routes', async () => {
    ts = await startTestServer();
    const { claim, task } = await submitAndClaim(ts);
    expect(claim.upload).toBeUndefined();
    const upload = await put(outputUrl(ts, task.key, task.leaseToken), goodArchive(FILES));
    expect(upload.status).toBe(404);
    expect(upload.body.error.message).toMatch(/--gather/);
    expect((await ts.call('GET', '/v1/outputs')).status).toBe(404);
    const done = await ts.call('POST', `/v1/tasks/${task.key}/complete`, { leaseToken: task.leaseToken });
    expect(done.status).toBe(200);
  });
});

function writeTree(root: string, files: Record<string, Buffer | string>): string {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  return root;
}

/** Entry names of a tar archive, in order. */
function tarNames(bytes: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const block = bytes.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) break;
    const header = decodeTarHeader(block);
    names.push(header.path.replace(/\/$/, ''));
    offset += 512 + Math.ceil(header.size / 512) * 512;
  }
  return names;
}
