/**
 * Generated requests for the fuzz suite: every route of the router (read from its stack) and
 * unknown ones, right and wrong methods, valid and malformed bodies, hostile strings in every
 * position, deep and huge values, wrong and lying encodings, stale and forged leases.
 * Keys and lease tokens of the live queue are picked when the request is sent (`pick`).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { concrete, type RouteSample } from './route-table.js';

/** Strings chosen to break things: surrogates, reserved keys, escapes, controls, huge. */
export const hostileStrings = [
  '\ud800',
  'x\udfff',
  '__proto__',
  'constructor',
  'prototype',
  '%',
  '%zz',
  '../../etc/passwd',
  '\u0000',
  '\u2028\u2029',
  '😀',
  ' ',
  '',
  'a'.repeat(70_000),
  '{"__proto__":1}',
  '<script>',
  'null',
];

const hostile = fc.constantFrom(...hostileStrings);
const text = fc.oneof(
  hostile,
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.stringMatching(/^[a-z.]{1,12}$/),
);
const int = fc.oneof(fc.integer({ min: -5, max: 2_000 }), fc.constantFrom(0, 1, 1e9, -1, 1.5));

/** A JSON value, sometimes with a hostile key or string, sometimes deep. */
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(hostile, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }).map((n) => nest(n)) },
);

/** 3,000 levels of arrays, spliced into the JSON text (a value that deep would overflow the generators). */
const deepText = `${'['.repeat(3_000)}${']'.repeat(3_000)}`;

function nest(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { v: value };
  return value;
}

/** A slot filled at send time with a live key or lease token, or a forged one. */
export type Pick = { pick: 'key' | 'lease' | 'fuzzKey'; index: number };
const key = fc.oneof(
  fc.nat().map((index): Pick => ({ pick: 'key', index })),
  fc.constantFrom('0'.repeat(64), 'f'.repeat(63), 'G'.repeat(64), '%zz'),
);
const lease = fc.oneof(
  fc.nat().map((index): Pick => ({ pick: 'lease', index })),
  text,
);

const taskSpec = fc.record(
  {
    task: fc.oneof(fc.stringMatching(/^fz\.[a-z]{1,6}$/), text),
    params: fc.oneof(
      { weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), jsonish, { maxKeys: 4 }) },
      jsonish,
    ),
    scan: fc.constantFrom('fz', 'fz-2', 'bad name', '\ud800'),
    maxAttempts: int,
    timeoutMs: int,
    extra: text,
  },
  { requiredKeys: ['task', 'params'] },
);

const report = fc.record(
  {
    outcome: fc.constantFrom('done', 'failed', 'released', 'bogus'),
    key,
    leaseToken: lease,
    result: jsonish,
    error: text,
    retryable: fc.boolean(),
  },
  { requiredKeys: ['outcome', 'key', 'leaseToken'] },
);

/** A body shaped for one route, right or slightly wrong. */
const bodies = {
  submit: fc.record(
    { tasks: fc.array(taskSpec, { maxLength: 4 }), scan: fc.constantFrom('fz', 'x y'), rerun: fc.boolean() },
    { requiredKeys: ['tasks'] },
  ),
  claim: fc.record(
    { workerId: text, host: text, max: int, waitMs: fc.constantFrom(0, 5, -1, 200_000), claimId: text },
    { requiredKeys: [] },
  ),
  heartbeat: fc.record({
    workerId: text,
    host: text,
    leases: fc.array(fc.record({ key, leaseToken: lease }), { maxLength: 3 }),
  }),
  report: fc.record({ workerId: text, reports: fc.array(report, { maxLength: 3 }) }),
  single: fc.record(
    { leaseToken: lease, result: jsonish, error: text, retryable: fc.boolean(), workerId: text },
    { requiredKeys: [] },
  ),
  rerun: fc.record({ only: fc.constantFrom('failed', 'all', 'some') }, { requiredKeys: [] }),
  legacy: fc.record(
    { data: fc.oneof(fc.array(jsonish, { maxLength: 3 }), text), class_path: text },
    { requiredKeys: ['data'] },
  ),
  any: jsonish,
};

export interface FuzzRequest {
  method: string;
  /** Path with `{key}` and `{fuzzKey}` placeholders. */
  path: string;
  query: string;
  body: unknown;
  /** How the body is sent. */
  form:
    | 'json'
    | 'deep'
    | 'truncated'
    | 'bytes'
    | 'gzip'
    | 'lying-gzip'
    | 'zstd'
    | 'latin1'
    | 'text'
    | 'urlencoded'
    | 'none';
  bytes: number[];
}

function bodyFor(pattern: string): fc.Arbitrary<unknown> {
  if (pattern === '/v1/tasks') return bodies.submit;
  if (pattern === '/v1/claim') return bodies.claim;
  if (pattern === '/v1/heartbeat') return bodies.heartbeat;
  if (pattern === '/v1/report') return bodies.report;
  if (/\/(complete|fail|release)$/.test(pattern)) return bodies.single;
  if (pattern.endsWith('/rerun')) return bodies.rerun;
  if (pattern === '/tasks') return bodies.legacy;
  return bodies.any;
}

/** Requests for `routes` (from the router's stack) and for paths it does not have. */
export function fuzzRequest(routes: RouteSample[]): fc.Arbitrary<FuzzRequest> {
  const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
  const known = fc.constantFrom(...routes).chain((route) =>
    fc.record({
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: methods },
      ),
      path: fc.constant(
        concrete(route.pattern, { key: /\/(cancel|rerun)$/.test(route.pattern) ? '{fuzzKey}' : '{key}' }),
      ),
      body: bodyFor(route.pattern),
    }),
  );
  const unknown = fc.record({
    method: methods,
    path: fc.oneof(
      fc.constantFrom(
        '/v1',
        '/v1/',
        '/v1/tasks/%',
        '/v1/scans/%E0%A4%A',
        '/v1/outputs/%zz/files',
        '/task/x',
        '//v1/tasks',
      ),
      fc.string({ maxLength: 12 }).map((s) => `/v1/${encodeURIComponent(s)}`),
    ),
    body: bodies.any,
  });
  return fc
    .record({
      target: fc.oneof({ weight: 5, arbitrary: known }, { weight: 1, arbitrary: unknown }),
      query: fc.oneof(
        { weight: 5, arbitrary: fc.constant('') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '?state=done',
            '?state=nope&limit=-1',
            '?limit=5&cursor=zz',
            '?scan=%ED%A0%80',
            '?leaseToken=x&scan=fz',
            '?a[b]=1&a[c]=2',
          ),
        },
      ),
      form: fc.oneof(
        { weight: 6, arbitrary: fc.constant('json' as const) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'deep',
            'truncated',
            'bytes',
            'gzip',
            'lying-gzip',
            'zstd',
            'latin1',
            'text',
            'urlencoded',
            'none',
          ),
        },
      ),
      bytes: fc.array(fc.nat({ max: 255 }), { maxLength: 16 }),
    })
    .map(({ target, query, form, bytes }) => ({
      ...target,
      query,
      form: form as FuzzRequest['form'],
      bytes,
    }));
}

/** Fills the pick slots of a body with live values. */
export function resolvePicks(value: unknown, pick: (slot: Pick) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePicks(v, pick));
  if (typeof value === 'object' && value !== null) {
    if ('pick' in value && 'index' in value && Object.keys(value).length === 2) return pick(value as Pick);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: resolvePicks(v, pick),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** The headers and bytes of a body sent `form`-wise. */
export function encodeBody(
  request: FuzzRequest,
  body: unknown,
): { headers: Record<string, string>; body?: Buffer } {
  const json = Buffer.from(JSON.stringify(body) ?? 'null');
  const type = { 'content-type': 'application/json' };
  switch (request.form) {
    case 'json':
      return { headers: type, body: json };
    case 'deep': {
      // In place of a parameter set or a result when the body has one, else the whole body.
      const text = json.toString();
      const spliced = /"(params|result)":/.test(text)
        ? text.replace(/"(params|result)":/, `"$1":{"d":${deepText}},"_":`)
        : deepText;
      return { headers: type, body: Buffer.from(spliced) };
    }
    case 'truncated':
      return {
        headers: type,
        body: json.subarray(0, Math.max(1, json.length - 1 - (request.bytes[0] ?? 0))),
      };
    case 'bytes':
      return { headers: type, body: Buffer.from(request.bytes) };
    case 'gzip':
      return { headers: { ...type, 'content-encoding': 'gzip' }, body: gzipSync(json) };
    case 'lying-gzip':
      return { headers: { ...type, 'content-encoding': 'gzip' }, body: json };
    case 'zstd':
      return { headers: { ...type, 'content-encoding': 'zstd' }, body: json };
    case 'latin1':
      return { headers: { 'content-type': 'application/json; charset=latin1' }, body: json };
    case 'text':
      return { headers: { 'content-type': 'text/plain' }, body: json };
    case 'urlencoded':
      return {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(
          `data=${encodeURIComponent(json.toString())}&class_path=${encodeURIComponent('fz.form')}`,
        ),
      };
    case 'none':
      return { headers: {} };
  }
}
