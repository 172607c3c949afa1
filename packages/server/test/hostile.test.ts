import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { taskKey } from '@bottle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';
import { codeOf, raw } from './raw-http.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ bodyLimit: 64 * 1024 });
});
afterAll(async () => {
  await s.close();
});

const json = { 'content-type': 'application/json' };
const post = (path: string, body: string | Buffer, headers: Record<string, string> = json) =>
  raw(s.url, 'POST', path, { headers, body });
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const key = 'a'.repeat(64);

describe('malformed %-escapes in route parameters', () => {
  it('answer 400 ERR_BAD_REQUEST on every parameter route, any method', async () => {
    const cases: [string, string][] = [
      ['GET', '/v1/tasks/%'],
      ['GET', '/v1/scans/%'],
      ['POST', '/v1/tasks/%zz/cancel'],
      ['POST', '/v1/tasks/%zz/rerun'],
      ['POST', '/v1/tasks/%E0%A4%A/complete'],
      ['POST', '/v1/scans/%zz/cancel'],
      ['GET', '/v1/outputs/%zz/files'],
      ['PUT', '/v1/tasks/%zz/output'],
      ['OPTIONS', '/v1/tasks/%zz'],
    ];
    for (const [method, path] of cases) {
      const reply = await raw(s.url, method, path);
      expect([method, path, reply.status, codeOf(reply)]).toEqual([method, path, 400, 'ERR_BAD_REQUEST']);
    }
  });
});

describe('deeply nested JSON', () => {
  it('is refused with 400 in params, results and legacy submits, never 500', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['/v1/tasks', `{"tasks":[{"task":"t","params":{"a":${deep(3000)}}}]}`, json],
      [
        '/v1/report',
        `{"workerId":"w","reports":[{"outcome":"done","key":"${key}","leaseToken":"x","result":${deep(3000)}}]}`,
        json,
      ],
      [`/v1/tasks/${key}/complete`, `{"leaseToken":"x","result":${deep(3000)}}`, json],
      ['/tasks', `{"data":[{"a":${deep(3000)}}]}`, json],
      [
        '/tasks',
        `data=${encodeURIComponent(`[{"a":${deep(3000)}}]`)}`,
        { 'content-type': 'application/x-www-form-urlencoded' },
      ],
    ];
    for (const [path, body, headers] of cases) {
      const reply = await post(path, body, headers);
      expect([path, reply.status, codeOf(reply)]).toEqual([path, 400, 'ERR_BAD_REQUEST']);
      expect(reply.text).toContain('nested deeper than 64 levels');
    }
  });

  it('is accepted up to the documented limit', async () => {
    // The parameter set is level 1: its value may hold 63 levels.
    const reply = await post('/v1/tasks', `{"tasks":[{"task":"t","params":{"a":${deep(63)}}}]}`);
    expect(reply.status).toBe(200);
  });
});

describe('Content-Encoding and charset', () => {
  const body = JSON.stringify({ tasks: [{ task: 'enc', params: { i: 1 } }] });
  it('decodes gzip, deflate and br bodies', async () => {
    for (const [coding, bytes] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const reply = await post('/v1/tasks', bytes, { ...json, 'content-encoding': coding });
      expect([coding, reply.status]).toEqual([coding, 200]);
    }
  });

  it('answers 400 ERR_BAD_REQUEST when the body is not what its encoding says', async () => {
    for (const coding of ['gzip', 'deflate', 'br']) {
      for (const path of ['/v1/tasks', '/v1/claim', '/v1/report', '/tasks']) {
        const reply = await post(path, '{}', { ...json, 'content-encoding': coding });
        expect([coding, path, reply.status, codeOf(reply)]).toEqual([coding, path, 400, 'ERR_BAD_REQUEST']);
      }
      // A truncated stream too.
      const cut = (coding === 'gzip' ? gzipSync(body) : deflateSync(body)).subarray(0, 12);
      const reply = await post('/v1/tasks', cut, { ...json, 'content-encoding': coding });
      expect(reply.status).toBe(400);
    }
  });

  it('answers 415 ERR_UNSUPPORTED_MEDIA_TYPE for an unknown encoding or charset, as catalogued', async () => {
    const encoded = await post('/v1/tasks', body, { ...json, 'content-encoding': 'zstd' });
    expect([encoded.status, codeOf(encoded)]).toEqual([415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
    const charset = await post('/v1/tasks', body, { 'content-type': 'application/json; charset=latin1' });
    expect([charset.status, codeOf(charset)]).toEqual([415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('counts the limit on the decoded bytes (a small gzip bomb is 413)', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const reply = await post('/v1/tasks', bomb, { ...json, 'content-encoding': 'gzip' });
    expect([reply.status, codeOf(reply)]).toEqual([413, 'ERR_PAYLOAD_TOO_LARGE']);
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"tasks":[{"task":"t'),
      Buffer.from([0xff]),
      Buffer.from('","params":{}}]}'),
    ]);
    const reply = await post('/v1/tasks', bytes);
    expect([reply.status, codeOf(reply)]).toEqual([400, 'ERR_BAD_REQUEST']);
  });
});

describe('lone surrogates in stored strings', () => {
  it('are refused in the task name, through /v1 and the legacy class_path', async () => {
    const v1 = await post('/v1/tasks', '{"tasks":[{"task":"\\ud800","params":{"i":1}}]}');
    expect([v1.status, codeOf(v1)]).toEqual([400, 'ERR_BAD_REQUEST']);
    const legacy = await post('/tasks', '{"data":[{"params":{"i":1},"class_path":"x\\udc00"}]}');
    expect([legacy.status, codeOf(legacy)]).toEqual([400, 'ERR_BAD_REQUEST']);
    const form = await post('/tasks', 'data=%5B%7B%22i%22%3A1%7D%5D&class_path=%5Cud800', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    // The form field is the six characters \ud800, a fine name; what matters is that it hashes to its key.
    expect(form.status).toBe(200);
    const tasks = (await s.call('GET', '/v1/tasks?limit=1000')).body.tasks as {
      key: string;
      task: string;
      params: Record<string, unknown>;
    }[];
    for (const t of tasks) expect(taskKey(t.task, t.params)).toBe(t.key);
  });

  it('are refused in worker ids, hosts and claim ids', async () => {
    for (const body of [
      '{"workerId":"w\\ud800","host":"h","max":1,"waitMs":0}',
      '{"workerId":"w","host":"\\udfff","max":1,"waitMs":0}',
      '{"workerId":"w","host":"h","max":1,"waitMs":0,"claimId":"\\ud800"}',
    ]) {
      const reply = await post('/v1/claim', body);
      expect([body, reply.status, codeOf(reply)]).toEqual([body, 400, 'ERR_BAD_REQUEST']);
    }
  });
});

describe('keys JavaScript cannot carry', () => {
  it('refuses "__proto__" in params instead of dropping it, and keeps two sets apart', async () => {
    const plain = await post('/v1/tasks', '{"tasks":[{"task":"proto","params":{"a":2}}]}');
    expect(plain.json).toMatchObject({ created: 1 });
    for (const params of [
      '{"__proto__":1,"a":2}',
      '{"__proto__":{"x":1},"a":2}',
      '{"a":{"__proto__":null}}',
    ]) {
      const reply = await post('/v1/tasks', `{"tasks":[{"task":"proto","params":${params}}]}`);
      expect([params, reply.status, codeOf(reply)]).toEqual([params, 400, 'ERR_BAD_REQUEST']);
      expect(reply.text).toContain('__proto__');
    }
  });

  it('stores "constructor" and "prototype" keys exactly, under the key they hash to', async () => {
    const params = { constructor: { prototype: 1 }, prototype: [2], a: 3 };
    const reply = await s.call('POST', '/v1/tasks', { tasks: [{ task: 'ctor', params }] });
    expect(reply.body).toMatchObject({ created: 1 });
    const detail = await s.call('GET', `/v1/tasks/${taskKey('ctor', params)}`);
    expect(detail.status).toBe(200);
    expect(detail.body.task.params).toEqual(params);
  });
});

describe('OPTIONS', () => {
  it('answers JSON with the methods of the route', async () => {
    const reply = await raw(s.url, 'OPTIONS', '/v1/tasks');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/application\/json/);
    expect(reply.json).toEqual({ methods: ['GET', 'HEAD', 'OPTIONS', 'POST'] });
    expect(reply.headers['allow']).toBe('GET, HEAD, OPTIONS, POST');
    for (const path of ['/healthz', '/task', '/tasks', `/v1/tasks/${key}`, '/v1/claim']) {
      const r = await raw(s.url, 'OPTIONS', path);
      expect([path, r.status, Array.isArray((r.json as { methods?: unknown })?.methods)]).toEqual([
        path,
        200,
        true,
      ]);
    }
    const unknown = await raw(s.url, 'OPTIONS', '/v1/nosuch');
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'ERR_NOT_FOUND']);
  });
});

describe('the 2013 client', () => {
  it('has its form body read under a JSON Content-Type on POST /tasks, as its server did', async () => {
    const data = encodeURIComponent(JSON.stringify([{ old: 1 }, { old: 2 }]));
    const reply = await post('/tasks', `data=${data}`);
    expect([reply.status, reply.json]).toEqual([200, { created: 2, existing: 0, requeued: 0 }]);
    // Only there: the /v1 routes take JSON.
    const v1 = await post('/v1/tasks', `data=${data}`);
    expect([v1.status, codeOf(v1)]).toEqual([400, 'ERR_BAD_REQUEST']);
  });
});
