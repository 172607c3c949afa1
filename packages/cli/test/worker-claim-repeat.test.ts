import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

/**
 * A relay in front of a real server that passes the first claim answer, then loses the next `drops`
 * claim answers carrying tasks: the server has leased them, and the worker sees its connection cut,
 * as when a server dies between its commit and its answer.
 */
async function lossyRelay(
  target: string,
  drops: number,
): Promise<{ url: string; dropped: string[]; server: Server }> {
  const dropped: string[] = [];
  let passed = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            if (req.url === '/v1/claim' && dropped.length < drops) {
              const tasks = (JSON.parse(text.toString()) as { tasks: unknown[] }).tasks;
              if (tasks.length > 0 && passed++ > 0) {
                dropped.push((JSON.parse(body.toString()) as { claimId?: string }).claimId ?? '(none)');
                req.socket.destroy();
                return;
              }
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, dropped, server };
}

describe('bottle-worker: a claim whose answer was lost', () => {
  it('is sent again with the same claimId until answered: the leases come back, no attempt is lost', async () => {
    scene = new Scene();
    // A lease longer than the test: a lease whose answer never arrived would leave its task running.
    const server = await scene.server(['--lease', '600']);
    await server.client.submit(
      Array.from({ length: 12 }, (_, n) => ({ task: 'sweep.Task', params: { n } })),
      { scan: 'repeat' },
    );
    // More lost answers than the client retries by itself: the worker's claim loop repeats it too.
    const relay = await lossyRelay(server.url, 4);
    scene.defer(() => relay.server.close());
    const worker = scene.worker(relay.url, ['-x', '2', '--quiet']);
    expect(await worker.exited).toBe(0);
    expect(relay.dropped).toHaveLength(4);
    expect(new Set(relay.dropped).size).toBe(1);
    expect(relay.dropped[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(worker.stdout).toMatch(/12 done, 0 failed/);
    const tasks = await allTasks(server.client, 'repeat');
    expect(tasks.map((task) => task.state)).toEqual(Array(12).fill('done'));
    const attempts = await attemptsOf(server.client, tasks);
    for (const history of attempts.values()) expect(history.map((a) => a.outcome)).toEqual(['done']);
  });
});
