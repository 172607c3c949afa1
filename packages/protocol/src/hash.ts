/**
 * Identity: canonical JSON (RFC 8785, JCS) hashed with SHA-256, hex.
 * A parameter set's hash names its output directory; the task name with its
 * parameters is the queue key.
 */
import { createHash } from 'node:crypto';
import { BottleError } from './errors.js';
import type { Params } from './schemas.js';

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units, no white space,
 * numbers in ECMAScript shortest form (as `JSON.stringify` prints them), strings escaped as JSON does.
 * Throws `ERR_BAD_PARAMS` naming the path of any value that has no stable JSON form.
 */
export function canonicalJson(value: unknown, rootPath = 'params'): string {
  const seen = new Set<object>();
  const parts: string[] = [];
  write(value, rootPath);
  return parts.join('');

  function write(v: unknown, path: string): void {
    switch (typeof v) {
      case 'string':
        parts.push(quote(v, path));
        return;
      case 'boolean':
        parts.push(v ? 'true' : 'false');
        return;
      case 'number':
        if (!Number.isFinite(v)) throw bad(path, `${v} is not a finite number`);
        // JSON.stringify prints -0 as 0, as RFC 8785 requires.
        parts.push(JSON.stringify(v));
        return;
      case 'object':
        break;
      default:
        throw bad(path, `a ${typeof v} has no JSON form`);
    }
    if (v === null) {
      parts.push('null');
      return;
    }
    if (seen.has(v)) throw bad(path, 'a cycle (the value contains itself)');
    seen.add(v);
    if (Array.isArray(v)) {
      parts.push('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) parts.push(',');
        if (!(i in v)) throw bad(`${path}[${i}]`, 'a hole in a sparse array');
        write(v[i], `${path}[${i}]`);
      }
      parts.push(']');
    } else {
      if (!isPlainObject(v)) {
        const kind = (v as { constructor?: { name?: unknown } }).constructor?.name;
        throw bad(
          path,
          `a ${typeof kind === 'string' && kind !== '' ? kind : 'non-plain object'} is not a plain object`,
        );
      }
      // JSON.stringify would drop symbol keys silently; refuse them so no data is lost unseen.
      if (Object.getOwnPropertySymbols(v).length > 0) throw bad(path, 'an object with symbol keys');
      const keys = Object.keys(v).sort(compareUtf16);
      parts.push('{');
      keys.forEach((key, i) => {
        if (i > 0) parts.push(',');
        parts.push(quote(key, childPath(path, key)), ':');
        write((v as Record<string, unknown>)[key], childPath(path, key));
      });
      parts.push('}');
    }
    seen.delete(v);
  }
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

/** SHA-256 of a string's UTF-8 bytes, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function paramsJson(params: unknown): string {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw bad('params', 'parameters must be an object of named values');
  }
  return canonicalJson(params, 'params');
}

/**
 * RFC 8785 §3.2.2.2 string form, which is ECMAScript's JSON.stringify: `\b \t \n \f \r \" \\`,
 * other controls as lowercase `\u00xx`, everything else (U+2028, non-BMP) as is.
 * Lone surrogates are refused: RFC 8785 requires I-JSON, which forbids them, and they have no UTF-8 form.
 */
function quote(text: string, path: string): string {
  if (/\p{Surrogate}/u.test(text)) throw bad(path, 'a string with a lone UTF-16 surrogate');
  return JSON.stringify(text);
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

function compareUtf16(a: string, b: string): number {
  // Default sort order compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  return a < b ? -1 : a > b ? 1 : 0;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function bad(path: string, why: string): BottleError {
  return new BottleError('ERR_BAD_PARAMS', `${path}: ${why}; parameters must be plain JSON values`, {
    details: { path },
  });
}
