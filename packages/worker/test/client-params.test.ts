import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBottleError, type TaskSpec } from '@bottle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BottleClient } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that only counts the requests that reach it. */
async function countingServer() {
  const seen = { requests: 0 };
  const server = createServer((_req, res) => {
    seen.requests++;
    res.setHeader('content-type', 'application/json');
    res.end('{"created":1,"existing":0,"requeued":0}');
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const client = new BottleClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cleanups.push(() => client.close());
  return { seen, client };
}

class Point {
  x = 1;
}
const sparse: number[] = [];
sparse[0] = 1;
sparse[2] = 3;

describe('parameter values that JSON cannot carry faithfully', () => {
  const cases: [string, unknown, string][] = [
    ['undefined', { a: undefined }, 'tasks[1].params.a'],
    ['NaN', { a: Number.NaN }, 'tasks[1].params.a'],
    ['Infinity', { a: { b: [Number.POSITIVE_INFINITY] } }, 'tasks[1].params.a.b[0]'],
    ['a function', { a: () => 1 }, 'tasks[1].params.a'],
    ['a BigInt', { a: 10n }, 'tasks[1].params.a'],
    ['a symbol', { a: Symbol('s') }, 'tasks[1].params.a'],
    ['a sparse array', { a: sparse }, 'tasks[1].params.a[1]'],
    ['a class instance', { a: new Point() }, 'tasks[1].params.a'],
    ['a Date', { a: new Date(0) }, 'tasks[1].params.a'],
    ['a number instead of a parameter set', 3, 'tasks[1].params'],
  ];
  for (const [what, params, path] of cases) {
    it(`refuses ${what} with its path before sending anything`, async () => {
      const { seen, client } = await countingServer();
      const tasks = [
        { task: 't', params: { ok: 1 } },
        { task: 't', params },
      ] as TaskSpec[];
      const error = await client.submit(tasks).catch((e: unknown) => e);
      expect(isBottleError(error, 'ERR_BAD_PARAMS'), String(error)).toBe(true);
      expect((error as Error).message.startsWith(`${path}: `), (error as Error).message).toBe(true);
      expect(seen.requests).toBe(0);
    });
  }

  it('also refuses through submitAll, and sends valid sets', async () => {
    const { seen, client } = await countingServer();
    const error = await client
      .submitAll([{ task: 't', params: { a: 1n } } as unknown as TaskSpec])
      .catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_BAD_PARAMS')).toBe(true);
    expect(seen.requests).toBe(0);
    await client.submit([{ task: 't', params: { a: 1 } }]);
    expect(seen.requests).toBe(1);
  });
});
