/**
 * A relay in front of a real server, for the tests of what crosses the wire: it records the JSON
 * bodies the worker sends, and can lose claim answers as a server that dies between its commit and
 * its answer would.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Relay {
  url: string;
  /** Request bodies by path (`/v1/report`: each report request's body), in order. */
  bodies(path: string): unknown[];
  /** Bodies of the claims whose answers were lost. */
  dropped: unknown[];
  close(): void;
}

/**
 * `dropClaims`: after passing the first claim answer that carries tasks, cut the connection instead
 * of passing the next `dropClaims` such answers (the server has leased their tasks).
 */
export async function relay(target: string, options: { dropClaims?: number } = {}): Promise<Relay> {
  const seen = new Map<string, unknown[]>();
  const dropped: unknown[] = [];
  let passed = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', target).pathname;
      const parsed =
        body.length > 0 && /json/.test(String(req.headers['content-type']))
          ? JSON.parse(body.toString())
          : undefined;
      if (parsed !== undefined) seen.set(path, [...(seen.get(path) ?? []), parsed]);
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            if (path === '/v1/claim' && dropped.length < (options.dropClaims ?? 0)) {
              const { tasks } = JSON.parse(text.toString()) as { tasks: unknown[] };
              if (tasks.length > 0 && passed++ > 0) {
                dropped.push(parsed);
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
  return {
    url: `http://127.0.0.1:${port}`,
    bodies: (path) => seen.get(path) ?? [],
    dropped,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
