/**
 * The lazy engines behind parameter sets: each source knows its size, its parameter names,
 * random access by index and a fresh iterator, without ever listing its items.
 */
import { BottleError } from './errors.js';
import { canonicalJson } from './hash.js';
import type { JsonValue, Params } from './json.js';

/** Each item is one parameter set, always a fresh plain object. */
export interface Source {
  readonly size: number;
  /** Every parameter name an item may carry, in first-seen order. */
  readonly names: readonly string[];
  at(index: number): Params;
  iterate(): Iterator<Params>;
}

/** A stored value: primitives as they are, objects as canonical JSON so each item gets its own copy. */
type Stored = { json: string } | { value: JsonValue };

function store(value: unknown, path: string): Stored {
  const json = canonicalJson(value, path);
  return typeof value === 'object' && value !== null ? { json } : { value: value as JsonValue };
}

function load(stored: Stored): JsonValue {
  return 'json' in stored ? (JSON.parse(stored.json) as JsonValue) : stored.value;
}

/** `pset(name, values)`: one parameter that takes each value in turn. */
export function valuesSource(name: string, values: readonly unknown[]): Source {
  const stored = values.map((value, i) => store(value, `pset(${JSON.stringify(name)})[${i}]`));
  return {
    size: stored.length,
    names: [name],
    at: (index) => ({ [name]: load(stored[index]!) }),
    *iterate() {
      for (const s of stored) yield { [name]: load(s) };
    },
  };
}

/** An explicit list of parameter objects. */
export function listSource(list: readonly unknown[]): Source {
  const names = new Set<string>();
  const stored = list.map((item, i) => {
    const path = `list[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new BottleError('ERR_BAD_PARAM_SET', `${path}: each parameter set must be a plain object`);
    }
    for (const key of Object.keys(item)) names.add(key);
    return canonicalJson(item, path);
  });
  return {
    size: stored.length,
    names: [...names],
    at: (index) => JSON.parse(stored[index]!) as Params,
    *iterate() {
      for (const s of stored) yield JSON.parse(s) as Params;
    },
  };
}

/** Every combination; the left factor is outermost (for a of A, for b of B). */
export function productSource(a: Source, b: Source): Source {
  const shared = a.names.filter((name) => b.names.includes(name));
  if (shared.length > 0) {
    throw new BottleError(
      'ERR_BAD_PARAM_SET',
      `product: both factors set the parameter ${shared.map((n) => JSON.stringify(n)).join(', ')}; ` +
        'rename one, or use concat (plus) to list them one after the other',
    );
  }
  const size = a.size * b.size;
  checkSize(size, 'product');
  return {
    size,
    names: [...a.names, ...b.names],
    at: (index) => ({ ...a.at(Math.floor(index / b.size)), ...b.at(index % b.size) }),
    *iterate() {
      // Re-iterating B for each item of A keeps memory flat: nothing is materialized.
      for (const left of iterable(a)) {
        for (const right of iterable(b)) yield { ...left, ...right };
      }
    },
  };
}

/** One list after the other. */
export function concatSource(parts: readonly Source[]): Source {
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  checkSize(size, 'concat');
  return {
    size,
    names: [...new Set(parts.flatMap((part) => part.names))],
    at(index) {
      let offset = index;
      for (const part of parts) {
        if (offset < part.size) return part.at(offset);
        offset -= part.size;
      }
      throw new RangeError(`index ${index} is past the end (${size})`);
    },
    *iterate() {
      for (const part of parts) yield* iterable(part);
    },
  };
}

/** Pairwise: item i of each part merged into one object. */
export function zipSource(parts: readonly Source[]): Source {
  const first = parts[0]!;
  for (const part of parts.slice(1)) {
    if (part.size !== first.size) {
      throw new BottleError(
        'ERR_BAD_PARAM_SET',
        `zip: the sets have different sizes (${first.size} and ${part.size}); zip needs equal lengths`,
      );
    }
  }
  const seen = new Set<string>();
  for (const name of parts.flatMap((part) => part.names)) {
    if (seen.has(name)) {
      throw new BottleError(
        'ERR_BAD_PARAM_SET',
        `zip: more than one set gives the parameter ${JSON.stringify(name)}; rename one`,
      );
    }
    seen.add(name);
  }
  return {
    size: first.size,
    names: [...seen],
    at: (index) => Object.assign({}, ...parts.map((part) => part.at(index))) as Params,
    *iterate() {
      const iterators = parts.map((part) => part.iterate());
      for (let i = 0; i < first.size; i++) {
        const item: Params = {};
        for (const it of iterators) Object.assign(item, it.next().value);
        yield item;
      }
    },
  };
}

function iterable(source: Source): Iterable<Params> {
  return { [Symbol.iterator]: () => source.iterate() };
}

function checkSize(size: number, op: string): void {
  if (!Number.isSafeInteger(size)) {
    throw new BottleError('ERR_BAD_PARAM_SET', `${op}: ${size} parameter sets is too many to count exactly`);
  }
}
