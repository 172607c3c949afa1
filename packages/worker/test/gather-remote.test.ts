/**
 * Gathering through a real server (`gatherDir`): the client's upload and download methods, a Worker
 * that uploads each finished task before reporting it, `gatherOutputs` and `serverResultRows`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { BottleError, isBottleError, type TaskSpec } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { gatherOutputs, packOutput, serverResultRows } from '../src/gather/index.js';
import { uploadTaskOutput } from '../src/gather/upload.js';
import { BottleClient, Worker } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MODULE = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export const writes = {
  run(params, ctx) {
    writeFileSync(join(ctx.outputDir, 'data.bin'), Buffer.alloc(params.bytes, 'x' + params.n));
    if (params.n % 2 === 0) return { n: params.n, half: params.n / 2 };
    writeFileSync(join(ctx.outputDir, 'result.json'), JSON.stringify({ n: params.n, odd: true }));
  },
};
`;

async function setup(serverOptions: { maxUploadBytes?: number } = {}) {
  const temp = makeTempDir('bottle-gather-remote-');
  cleanups.push(() => temp.remove());
  const root = join(temp.path, 'root');
  mkdirSync(root);
  writeFileSync(join(root, 'gather-tasks.mjs'), MODULE);
  const gatherDir = join(temp.path, 'gathered');
  const server = await startBottleServer({
    port: 0,
    db: join(temp.path, 'bottle.db'),
    gatherDir,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    ...serverOptions,
  });
  cleanups.push(() => server.close());
  const client = new BottleClient({ server: server.url, retries: 0 });
  cleanups.push(() => client.close());
  return { temp: temp.path, root, gatherDir, server, client };
}

function specs(count: number, bytes = 2000): TaskSpec[] {
  return Array.from({ length: count }, (_, n) => ({
    task: 'gather-tasks.writes',
    params: { n, bytes },
    scan: 'g',
  }));
}

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const path = join(dir, name);
    if (statSync(path).isFile())
      out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

async function runWorker(url: string, root: string) {
  const worker = new Worker({ server: url, root, slots: 2, maxBackoffMs: 200, stopGraceMs: 300 });
  cleanups.push(() => worker.stop({ force: true }));
  return worker.run();
}

describe('a Worker with a gathering server', () => {
  it('uploads every output before reporting it done; the server holds byte-identical copies', async () => {
    const { root, gatherDir, server, client } = await setup();
    await client.submit(specs(6));
    const summary = await runWorker(server.url, root);
    expect(summary).toMatchObject({ done: 6, failed: 0, unreported: 0 });
    const tasks = [];
    for await (const task of client.iterateTasks({ scan: 'g' })) tasks.push(task);
    expect(tasks.map((task) => task.state)).toEqual(Array(6).fill('done'));
    for (const task of tasks) {
      const local = digests(join(root, 'out', task.paramsHash));
      // The runner writes result.json for a returned value; a task's own result.json is kept.
      expect(Object.keys(local)).toContain('result.json');
      expect(digests(join(gatherDir, task.paramsHash))).toEqual(local);
    }
  });

  it('fails the task for good when the server refuses its output as too large', async () => {
    const { root, server, client, gatherDir } = await setup({ maxUploadBytes: 8192 });
    await client.submit(specs(1, 100_000));
    const summary = await runWorker(server.url, root);
    expect(summary).toMatchObject({ done: 0, failed: 1 });
    const [task] = (await client.listTasks({ scan: 'g' })).tasks;
    expect(task).toMatchObject({ state: 'failed', attempts: 1 });
    expect(task?.error).toMatch(/ERR_UPLOAD_TOO_LARGE/);
    expect(readdirSync(gatherDir)).toEqual([]);
  });
});

describe('the client and the gather functions', () => {
  it('uploads under a lease, refuses a stale one, and downloads files and listings', async () => {
    const { temp, server, client } = await setup();
    await client.submit(specs(1));
    const { tasks, upload } = await client.claim({ workerId: 'w', host: 'h', max: 1, waitMs: 0 });
    expect(upload?.maxBytes).toBeGreaterThan(0);
    const task = tasks[0]!;
    const out = join(temp, 'by-hand');
    mkdirSync(join(out, 'nested'), { recursive: true });
    writeFileSync(join(out, 'nested', 'a.txt'), 'hello');

    const stale = await uploadTaskOutput(client, { key: task.key, leaseToken: 'nope' }, out);
    expect(stale.kind).toBe('lost');
    const outcome = await uploadTaskOutput(client, task, out);
    expect(outcome).toMatchObject({ kind: 'uploaded', response: { files: 1 } });
    const direct = packOutput(out);
    const answer = await client.uploadOutput(task.key, task.leaseToken, direct.stream);
    expect(answer).toEqual({
      files: 1,
      bytes: (await direct.done).bytes,
      sha256: (await direct.done).sha256,
    });

    expect(await client.listOutputs()).toEqual({ outputs: [task.paramsHash] });
    expect(await client.listOutputs({ scan: 'g' })).toEqual({ outputs: [task.paramsHash] });
    const listing = await client.listOutputFiles(task.paramsHash);
    expect(listing.files.map((file) => [file.path, file.size])).toEqual([['nested/a.txt', 5]]);
    const dest = join(temp, 'dl', 'a.txt');
    await client.downloadOutputFile(task.paramsHash, 'nested/a.txt', dest);
    expect(readFileSync(dest, 'utf8')).toBe('hello');
    const missing = await client.openOutputFile(task.paramsHash, 'nope.txt').catch((e: unknown) => e);
    expect(isBottleError(missing, 'ERR_NOT_FOUND')).toBe(true);
    const refused = await client
      .uploadOutput(task.key, 'stale', Readable.from([Buffer.alloc(10)]))
      .catch((e: unknown) => e);
    expect(isBottleError(refused, 'ERR_STALE_LEASE')).toBe(true);
    expect(server.url).toBe(client.url.replace(/\/$/, ''));
  });

  it('retries an upload cut or corrupted on the way, and gives up (retryable) when the server stays away', async () => {
    const { temp, server, client } = await setup();
    await client.submit(specs(1));
    const task = (await client.claim({ workerId: 'w', host: 'h', max: 1, waitMs: 0 })).tasks[0]!;
    const out = join(temp, 'out-1');
    mkdirSync(out);
    writeFileSync(join(out, 'a.txt'), 'a');
    let calls = 0;
    // The first attempt reads part of the archive and fails as a cut upload would; the second goes through.
    const flaky = {
      uploadOutput: async (key: string, leaseToken: string, archive: Readable) => {
        calls++;
        if (calls === 1) {
          archive.read();
          throw new BottleError('ERR_UPLOAD_CHECKSUM', 'the upload was cut off');
        }
        return client.uploadOutput(key, leaseToken, archive);
      },
    };
    const retries: number[] = [];
    const outcome = await uploadTaskOutput(flaky, task, out, {
      backoffMs: 10,
      onRetry: (_e, n) => retries.push(n),
    });
    expect(outcome.kind).toBe('uploaded');
    expect(retries).toEqual([1]);

    await server.close();
    const away = await uploadTaskOutput(client, task, out, { retries: 2, backoffMs: 10 });
    expect(away.kind).toBe('failed');
    expect(isBottleError(away.kind === 'failed' ? away.error : undefined, 'ERR_SERVER_UNREACHABLE')).toBe(
      true,
    );
  });

  it('gathers into a folder once, then fetches nothing; result rows read result.json on the server', async () => {
    const { temp, root, server, client } = await setup();
    await client.submit(specs(4));
    await runWorker(server.url, root);
    const to = join(temp, 'results');
    const first = await gatherOutputs(client, { to });
    expect(first.outputs).toBe(4);
    expect(first.fetchedFiles).toBe(first.totalFiles);
    expect(first.fetchedFiles).toBeGreaterThan(0);
    for (const hash of readdirSync(join(root, 'out'))) {
      expect(digests(join(to, hash))).toEqual(digests(join(root, 'out', hash)));
    }
    const second = await gatherOutputs(client, { to, scan: 'g' });
    expect(second).toMatchObject({ fetchedFiles: 0, upToDateFiles: first.totalFiles });

    const rows = await serverResultRows(client, { scan: 'g' });
    const byN = new Map(rows.map((row) => [row.n, row]));
    expect(byN.get(0)).toMatchObject({ n: 0, state: 'done', half: 0 });
    expect(byN.get(1)).toMatchObject({ n: 1, state: 'done', odd: true });
    expect(existsSync(join(to, 'nothing'))).toBe(false);
  });
});
