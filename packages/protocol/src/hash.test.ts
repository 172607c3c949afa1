import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBottleError } from './errors.js';
import { canonicalJson, formatPath, hashParams, sha256Hex, taskIdentity, taskKey } from './hash.js';
import type { JsonValue } from './json.js';

function refusal(value: unknown, root?: string): { code: string; message: string; path: unknown } {
  try {
    canonicalJson(value, root);
  } catch (error) {
    if (!isBottleError(error)) throw error;
    return { code: error.code, message: error.message, path: error.details?.['path'] };
  }
  throw new Error(`expected ${String(value)} to be refused`);
}

class Point {
  x = 1;
}

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units, not code points', () => {
    // U+1F600 is stored as U+D83D U+DE00, which sorts before U+FB01.
    expect(canonicalJson({ '\ufb01': 1, '\u{1f600}': 2, é: 3, a: 4, B: 5 })).toBe(
      '{"B":5,"a":4,"é":3,"\u{1f600}":2,"\ufb01":1}',
    );
  });

  it('prints numbers as ECMAScript does', () => {
    expect(canonicalJson([1.0, -0, 1e21, 1e20, 1e-7, 0.000001, 5e-324, 4.5, 2e-3, 1e300])).toBe(
      '[1,0,1e+21,100000000000000000000,1e-7,0.000001,5e-324,4.5,0.002,1e+300]',
    );
  });

  it('escapes strings as RFC 8785 asks', () => {
    expect(canonicalJson('\u2028\u2029\u0000\u001f\u007f\b\t\n\f\r"\\/')).toBe(
      '"\u2028\u2029\\u0000\\u001f\u007f\\b\\t\\n\\f\\r\\"\\\\/"',
    );
  });

  it('accepts shared (non-cyclic) references and null-prototype objects', () => {
    const shared = { a: 1 };
    const bare = Object.assign(Object.create(null) as object, { k: [shared, shared] });
    expect(canonicalJson({ x: shared, y: bare })).toBe('{"x":{"a":1},"y":{"k":[{"a":1},{"a":1}]}}');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Set', new Set()],
    ['a class instance', new Point()],
    ['a boxed number', Object(1)],
    ['a lone surrogate', 'x\ud800y'],
  ])('refuses %s, naming the path params.b[2]', (_what, bad) => {
    const result = refusal({ a: 1, b: [0, 1, bad] });
    expect(result.code).toBe('ERR_BAD_PARAMS');
    expect(result.message).toMatch(/^params\.b\[2\]: /);
    expect(result.path).toBe('params.b[2]');
  });

  it('names the kind of non-plain object it refuses', () => {
    expect(refusal({ d: new Date(0) }).message).toContain('a Date is not a plain object');
    expect(refusal({ p: new Point() }).message).toContain('a Point is not a plain object');
    expect(refusal({ m: new Map() }).message).toContain('a Map');
  });

  it('refuses cycles, holes, symbol keys and lone surrogates in keys', () => {
    const cyclic: Record<string, unknown> = { a: [] };
    (cyclic['a'] as unknown[]).push(cyclic);
    expect(refusal(cyclic).path).toBe('params.a[0]');
    const holey = [1];
    holey[2] = 3;
    expect(refusal({ a: holey }).path).toBe('params.a[1]');
    expect(refusal({ a: { [Symbol('k')]: 1 } }).path).toBe('params.a');
    expect(refusal({ a: { '\udc00': 1 } }).path).toBe('params.a["\\udc00"]');
    expect(refusal({ 'odd key': { x: Number.NaN } }).path).toBe('params["odd key"].x');
    expect(refusal(Number.NaN, 'value').path).toBe('value');
  });
});

describe('hashParams and taskKey', () => {
  it('hash the canonical JSON with SHA-256, lowercase hex', () => {
    expect(hashParams({ b: 'a', a: 1 })).toBe(sha256Hex('{"a":1,"b":"a"}'));
    expect(hashParams({ b: 'a', a: 1 })).toBe(
      '6485c73d3876453e3f439f22d1691989131913bd8f7935ab31f3bed3efbff962',
    );
    expect(taskKey('examples/dummy.scan', { b: 'a', a: 1 })).toBe(
      sha256Hex(canonicalJson({ task: 'examples/dummy.scan', params: { a: 1, b: 'a' } })),
    );
  });

  it('are what taskIdentity answers at once', () => {
    const params = { b: [1, { c: 'x' }], a: -2.5 };
    expect(taskIdentity('m.run', params)).toEqual({
      key: taskKey('m.run', params),
      paramsHash: hashParams(params),
    });
    expect(() => taskIdentity('', {})).toThrow(/task name/);
    expect(() => taskIdentity('m.a', { x: undefined })).toThrow(/params\.x/);
  });

  it('tell tasks apart by name and parameters', () => {
    expect(taskKey('m.a', { x: 1 })).not.toBe(taskKey('m.b', { x: 1 }));
    expect(taskKey('m.a', { x: 1 })).not.toBe(taskKey('m.a', { x: 2 }));
    expect(taskKey('m.a', { x: 1 })).not.toBe(hashParams({ x: 1 }));
  });

  it('refuse parameters that are not an object, and a task without a name', () => {
    expect(() => hashParams([1] as unknown as Record<string, unknown>)).toThrow(/params/);
    expect(() => hashParams(null as unknown as Record<string, unknown>)).toThrow(/params/);
    expect(() => taskKey('', {})).toThrow(/task name/);
    expect(() => taskKey('m.a', { x: undefined })).toThrow(/params\.x/);
  });
});

// ---------------------------------------------------------------- property-based

/**
 * JSON values without -0, which JSON cannot carry (it reads back as 0), and without the key
 * "__proto__", which is refused (json-limits.test.ts).
 */
const json = fc
  .jsonValue({ maxDepth: 4, stringUnit: 'binary' })
  .map((v) => JSON.stringify(v))
  .filter((text) => !text.includes('"__proto__"'))
  .map((text) => JSON.parse(text) as JsonValue);
const params = fc.dictionary(
  fc.string({ unit: 'binary' }).filter((key) => key !== '__proto__'),
  json,
  { maxKeys: 6 },
);

/** Rebuilds a value with every object's keys inserted in a shuffled order. */
function reorder(value: JsonValue, random: () => number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => reorder(item, random));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Record<string, JsonValue> = {};
  for (const key of keys) {
    // defineProperty: a "__proto__" key must stay a key, not become the prototype.
    Object.defineProperty(out, key, {
      value: reorder(value[key]!, random),
      enumerable: true,
      writable: true,
    });
  }
  return out;
}

/** Every path (list of keys and indexes) to a leaf or an empty container. */
function leafPaths(value: JsonValue, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value) && value.length > 0) return value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

function replaceAt(value: JsonValue, path: (string | number)[], next: JsonValue): JsonValue {
  if (path.length === 0) return next;
  const [head, ...rest] = path;
  const copy = structuredClone(value) as Record<string | number, JsonValue>;
  Object.defineProperty(copy, head!, {
    value: replaceAt(copy[head!]!, rest, next),
    enumerable: true,
    writable: true,
  });
  return copy as JsonValue;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe('canonical hashing (property-based)', () => {
  it('the hash does not change when keys are inserted in another order', () => {
    fc.assert(
      fc.property(params, fc.integer(), (p, seed) => {
        const shuffled = reorder(p, seeded(seed)) as Record<string, JsonValue>;
        expect(canonicalJson(shuffled)).toBe(canonicalJson(p));
        expect(hashParams(shuffled)).toBe(hashParams(p));
        expect(taskKey('t.run', shuffled)).toBe(taskKey('t.run', p));
      }),
    );
  });

  it('the hash changes when any single value changes', () => {
    fc.assert(
      fc.property(params, fc.nat(), json, (p, pick, next) => {
        const paths = leafPaths(p);
        const path = paths[pick % paths.length]!;
        fc.pre(path.length > 0);
        const old = path.reduce<JsonValue>((v, k) => (v as Record<string | number, JsonValue>)[k]!, p);
        fc.pre(canonicalJson(old) !== canonicalJson(next));
        const changed = replaceAt(p, path, next) as Record<string, JsonValue>;
        expect(hashParams(changed)).not.toBe(hashParams(p));
      }),
    );
  });

  it('canonical JSON round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(value);
        // Canonical output is a fixed point: parsing and re-serializing changes nothing.
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('a bad value anywhere is refused with its exact path', () => {
    const bad = fc.constantFrom<unknown>(Number.NaN, undefined, 1n, new Date(0), Symbol('s'));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat({ max: 3 }), fc.stringMatching(/^[a-z]{1,4}$/)), { maxLength: 4 }),
        bad,
        (path, value) => {
          let nested: unknown = value;
          for (const step of [...path].reverse()) {
            nested = typeof step === 'number' ? [...Array(step).fill(0), nested] : { [step]: nested };
          }
          const expected = path.reduce<string>(
            (acc, step) => (typeof step === 'number' ? `${acc}[${step}]` : `${acc}.${step}`),
            'params.root',
          );
          expect(refusal({ root: nested }).path).toBe(expected);
        },
      ),
    );
  });
});

describe('formatPath', () => {
  it('writes a path below a root, or from its first segment with an empty root', () => {
    expect(formatPath('params', ['a', 3, 'odd key'])).toBe('params.a[3]["odd key"]');
    expect(formatPath('', ['tasks', 3, 'params', 'x'])).toBe('tasks[3].params.x');
    expect(formatPath('', [0, 'a'])).toBe('[0].a');
    expect(formatPath('body', [])).toBe('body');
  });
});
