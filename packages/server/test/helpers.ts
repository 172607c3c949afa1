// biome-ignore-all lint/suspicious/noExplicitAny: reply bodies are arbitrary JSON, checked by each test's assertions
/** Shared test helpers: a real server on an ephemeral port over a fresh SQLite file, and a fetch wrapper. */
import { join } from 'node:path';
import type { TaskSpec } from '@bottle/protocol';
import {
  type BottleServer,
  type BottleServerOptions,
  type QueuePolicy,
  type Store,
  startBottleServer,
} from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import type { Clock } from '../src/store/clock.js';

export interface Reply<T = any> {
  status: number;
  body: T;
}

export interface TestServer {
  server: BottleServer;
  url: string;
  dir: string;
  db: string;
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    init?: { token?: string; raw?: string; contentType?: string },
  ): Promise<Reply<T>>;
  close(): Promise<void>;
}

export const quietLogger = { info: () => {}, warn: () => {}, error: () => {} };

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  init: { token?: string; raw?: string; contentType?: string; signal?: AbortSignal } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  let payload: string | undefined;
  if (init.raw !== undefined) {
    payload = init.raw;
    headers['content-type'] = init.contentType ?? 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body: payload, signal: init.signal });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Opens a fresh store that takes its queue policy (and, when given, its clock) at construction. */
export type StoreFactory = (policy: Partial<QueuePolicy>, clock?: Clock) => Promise<Store>;

/** A server on port 0 over a fresh SQLite file, or over the store `openStore` makes (closed with it). */
export async function startTestServer(
  options: Omit<BottleServerOptions, 'port' | 'db'> = {},
  openStore?: StoreFactory,
): Promise<TestServer> {
  const dir = makeTempDir('bottle-server-');
  const db = join(dir.path, 'bottle.db');
  const store = await openStore?.(
    {
      leaseMs: options.leaseMs,
      maxAttempts: options.maxAttempts,
      retryBackoffMs: options.retryBackoffMs,
      maxRetryBackoffMs: options.maxRetryBackoffMs,
      requireUpload: options.gatherDir !== undefined,
    },
    options.clock,
  );
  // A store of one's own carries the policy and clock: the server refuses them beside it.
  const { leaseMs, maxAttempts, retryBackoffMs, maxRetryBackoffMs, clock, ...routerOptions } = options;
  const server = await startBottleServer({
    port: 0,
    db,
    logger: quietLogger,
    ...(store ? { ...routerOptions, store } : options),
  });
  return {
    server,
    url: server.url,
    dir: dir.path,
    db,
    call: (method, path, body, init) => call(server.url, method, path, body, init),
    async close() {
      await server.close();
      await store?.close();
      dir.remove();
    },
  };
}

export function specs(n: number, extra: Partial<TaskSpec> = {}, task = 'examples/dummy.task'): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => ({ task, params: { i }, ...extra }));
}

export const worker = { workerId: 'w1', host: 'host-a' };
