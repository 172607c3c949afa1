/**
 * Identity: canonical JSON (RFC 8785, JCS) hashed with SHA-256, hex.
 * A parameter set's hash names its output directory; the task name with its
 * parameters is the queue key.
 */
import { createHash } from 'node:crypto';
import { isWellFormed } from './_well-formed.js';
import { BottleError } from './errors.js';
import type { Params } from './json.js';

/**
 * How deep objects and arrays may nest in a parameter set or a result, the outermost value being
 * level 1. Client (`hashParams`) and server (request validation) apply the same limit, so that a
 * set one side accepts is never refused by the other; it also bounds the recursion of every walk.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Keys refused in parameter sets and results: `JSON.parse` makes `__proto__` an own key, but any
 * JavaScript copy by assignment turns it into a prototype change, so it would vanish on the way.
 * (`constructor` and `prototype` are ordinary keys, carried as they are.)
 */
const REFUSED_KEY = '__proto__';

/** Where a value has no faithful JSON form: the path below the root, and why. */
export interface JsonValueIssue {
  path: (string | number)[];
  message: string;
}

class Problem {
  constructor(
    readonly path: (string | number)[],
    readonly message: string,
  ) {}
}

/**
 * Walks a JSON value once: refuses what JSON cannot carry faithfully (undefined, NaN, Infinity,
 * functions, BigInt, symbols, sparse arrays, class instances, cycles, lone surrogates, the key
 * `__proto__`, nesting beyond MAX_JSON_DEPTH); with `out`, also writes its canonical form there.
 * The path is a stack of segments, turned into text only when something is refused.
 */
function walk(root: unknown, out: string[] | undefined): void {
  const path: (string | number)[] = [];
  const seen = new Set<object>();
  const fail = (why: string) => new Problem(path.slice(), why);
  const text = (s: string) => {
    if (!isWellFormed(s)) throw fail('a string with a lone UTF-16 surrogate');
    // RFC 8785 §3.2.2.2 string form is ECMAScript's JSON.stringify.
    out?.push(JSON.stringify(s));
  };
  write(root, 0);

  function write(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        text(v);
        return;
      case 'boolean':
        out?.push(v ? 'true' : 'false');
        return;
      case 'number':
        if (!Number.isFinite(v)) throw fail(`${v} is not a finite number`);
        // JSON.stringify prints -0 as 0, as RFC 8785 requires.
        out?.push(JSON.stringify(v));
        return;
      case 'object':
        break;
      default:
        throw fail(`a ${typeof v} has no JSON form`);
    }
    if (v === null) {
      out?.push('null');
      return;
    }
    if (depth >= MAX_JSON_DEPTH) throw fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (seen.has(v)) throw fail('a cycle (the value contains itself)');
    seen.add(v);
    if (Array.isArray(v)) {
      out?.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out?.push(',');
        path.push(i);
        if (!(i in v)) throw fail('a hole in a sparse array');
        write(v[i], depth + 1);
        path.pop();
      }
      out?.push(']');
    } else {
      if (!isPlainObject(v)) {
        const kind = (v as { constructor?: { name?: unknown } }).constructor?.name;
        throw fail(
          `a ${typeof kind === 'string' && kind !== '' ? kind : 'non-plain object'} is not a plain object`,
        );
      }
      // JSON.stringify would drop symbol keys silently; refuse them so no data is lost unseen.
      if (Object.getOwnPropertySymbols(v).length > 0) throw fail('an object with symbol keys');
      const keys = Object.keys(v);
      // Default sort order compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
      if (out) keys.sort();
      out?.push('{');
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        path.push(key);
        if (key === REFUSED_KEY) {
          throw fail('the key "__proto__" cannot be carried faithfully by JavaScript objects; rename it');
        }
        if (i > 0) out?.push(',');
        text(key);
        out?.push(':');
        write((v as Record<string, unknown>)[key], depth + 1);
        path.pop();
      }
      out?.push('}');
    }
    seen.delete(v);
  }
}

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units, no white space,
 * numbers in ECMAScript shortest form (as `JSON.stringify` prints them), strings escaped as JSON does.
 * Throws `ERR_BAD_PARAMS` naming the path of any value that has no faithful JSON form (see `jsonValueIssue`).
 */
export function canonicalJson(value: unknown, rootPath = 'params'): string {
  const parts: string[] = [];
  try {
    walk(value, parts);
  } catch (error) {
    if (error instanceof Problem) throw bad(formatPath(rootPath, error.path), error.message);
    throw error;
  }
  return parts.join('');
}

/** What `canonicalJson` would refuse in `value`, without writing anything; undefined when it is fine. */
export function jsonValueIssue(value: unknown): JsonValueIssue | undefined {
  try {
    walk(value, undefined);
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return { path: error.path, message: error.message };
    throw error;
  }
}

/**
 * `params.a[3]["odd key"]` from a root and the segments below it (a zod issue's path, a JSON walk's):
 * with an empty root, `tasks[3].params`.
 */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'symbol') out += `[${String(segment)}]`;
    else if (!/^[A-Za-z_$][\w$]*$/.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * SHA-256 hex of the canonical JSON of a parameter set: the name of its output directory.
 * Throws `ERR_BAD_PARAMS` when `params` is not a plain object of JSON values.
 */
export function hashParams(params: Params | Record<string, unknown>): string {
  return sha256Hex(paramsJson(params));
}

/** The queue identity of a task: SHA-256 hex of the canonical JSON of `{ params, task }`. */
export function taskKey(task: string, params: Params | Record<string, unknown>): string {
  if (typeof task !== 'string' || task === '') throw bad('task', 'the task name must be a non-empty string');
  // Equal to canonicalJson({ params, task }): "params" sorts before "task".
  return sha256Hex(`{"params":${paramsJson(params)},"task":${canonicalJson(task, 'task')}}`);
}

/**
 * A task's key and its parameters' hash at once (`taskKey` and `hashParams`), from one canonical
 * JSON of the parameters: for callers that need both for every task they submit.
 */
export function taskIdentity(
  task: string,
  params: Params | Record<string, unknown>,
): { key: string; paramsHash: string } {
  if (typeof task !== 'string' || task === '') throw bad('task', 'the task name must be a non-empty string');
  const json = paramsJson(params);
  return {
    key: sha256Hex(`{"params":${json},"task":${canonicalJson(task, 'task')}}`),
    paramsHash: sha256Hex(json),
  };
}

/** SHA-256 of a string's UTF-8 bytes, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A SHA-256 digest as bottle writes it: 64 lowercase hex digits (task keys, parameter hashes, file sums). */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for a {@link SHA256_HEX} digest: anything else could name a path outside a gather directory. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/**
 * Throws `ERR_BAD_PARAMS` naming the path (`tasks[3].params.a`) unless `params` is a parameter set
 * that `hashParams` accepts and JSON carries faithfully: what a client checks before sending.
 */
export function assertParams(params: unknown, rootPath = 'params'): asserts params is Params {
  assertObject(params, rootPath);
  const issue = jsonValueIssue(params);
  if (issue) throw bad(formatPath(rootPath, issue.path), issue.message);
}

function paramsJson(params: unknown): string {
  assertObject(params, 'params');
  return canonicalJson(params, 'params');
}

function assertObject(params: unknown, path: string): void {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw bad(path, 'parameters must be an object of named values');
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return true;
  // A plain object from another realm (vm, worker thread) has that realm's Object.prototype.
  return (
    typeof proto === 'object' &&
    Object.getPrototypeOf(proto) === null &&
    (proto as { constructor?: { name?: unknown } }).constructor?.name === 'Object'
  );
}

function bad(path: string, why: string): BottleError {
  return new BottleError('ERR_BAD_PARAMS', `${path}: ${why}; parameters must be plain JSON values`, {
    details: { path },
  });
}
