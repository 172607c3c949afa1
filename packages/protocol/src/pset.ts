/**
 * Parameter sets, as the 2013 original had them: `pset('a', [1, 2]).times(pset('b', ['x', 'y']))`.
 * Sets are lazy: size is known up front, items are built one at a time, each a fresh plain object.
 */
import {
  concatSource,
  listSource,
  productSource,
  type Source,
  valuesSource,
  zipSource,
} from './_pset-sources.js';
import { BottleError, isBottleError } from './errors.js';
import type { Params } from './json.js';
import { scanNameSchema } from './schemas.js';

/** Marks parameter sets across copies of this package (`Symbol.for` is shared by every copy). */
const brand = Symbol.for('@bottle/protocol.ParamSet');

/** A lazy, ordered collection of parameter sets; build one with {@link pset} or {@link fromList}. */
export class ParamSet implements Iterable<Params> {
  /** Always true; lets {@link isParamSet} recognise sets made by another copy of this package. */
  readonly [brand] = true;
  /** How many parameter sets this yields, known without iterating. */
  readonly size: number;
  /** Every parameter name an item may carry. */
  readonly paramNames: readonly string[];
  /** The scan name given with {@link ParamSet.named}, if any. */
  readonly name: string | undefined;
  readonly #source: Source;

  /** @internal Use {@link pset}, {@link fromList}, {@link product}, {@link concat} or {@link zip}. */
  constructor(source: Source, name?: string) {
    this.#source = source;
    this.size = source.size;
    this.paramNames = source.names;
    this.name = name;
  }

  /** The parameter set at `index` (0-based), computed without iterating: lets a submit resume at an offset. */
  at(index: number): Params {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`index ${index} is outside 0..${this.size - 1}`);
    }
    return this.#source.at(index);
  }

  /** Yields each parameter set in order, building one at a time. */
  [Symbol.iterator](): Iterator<Params> {
    return this.#source.iterate();
  }

  /** Every combination of this set and `other`, this one outermost. Same as `product(this, other)`. */
  times(other: ParamSet): ParamSet {
    return product(this, other);
  }

  /** This set followed by `other`. Same as `concat(this, other)`. */
  plus(other: ParamSet): ParamSet {
    return concat(this, other);
  }

  /** Item i of this set merged with item i of `other`; sizes must be equal. Same as `zip(this, other)`. */
  zip(other: ParamSet): ParamSet {
    return zip(this, other);
  }

  /** A copy carrying `name`, the scan name its tasks are submitted under. */
  named(name: string): ParamSet {
    const parsed = scanNameSchema.safeParse(name);
    if (!parsed.success) {
      throw new BottleError(
        'ERR_BAD_PARAM_SET',
        `named(${JSON.stringify(name)}): ${parsed.error.issues[0]?.message ?? 'not a valid scan name'}`,
      );
    }
    return new ParamSet(this.#source, name);
  }
}

/**
 * One parameter taking each of `values` in turn: `pset('a', [1, 2, 3])` yields `{a:1}`, `{a:2}`, `{a:3}`.
 * Throws `ERR_BAD_PARAM_SET` for an empty name, a non-array, or a value with no stable JSON form.
 */
export function pset(name: string, values: readonly unknown[]): ParamSet {
  if (typeof name !== 'string' || name === '') {
    throw new BottleError('ERR_BAD_PARAM_SET', 'pset(name, values): the name must be a non-empty string');
  }
  if (!Array.isArray(values)) {
    throw new BottleError(
      'ERR_BAD_PARAM_SET',
      `pset(${JSON.stringify(name)}, values): values must be an array`,
    );
  }
  return new ParamSet(rethrow(() => valuesSource(name, values)));
}

/** Wraps an explicit list of parameter objects, e.g. read from a file, as a parameter set. */
export function fromList(paramsList: readonly unknown[]): ParamSet {
  if (!Array.isArray(paramsList)) {
    throw new BottleError('ERR_BAD_PARAM_SET', 'fromList(list): list must be an array of parameter objects');
  }
  return new ParamSet(rethrow(() => listSource(paramsList)));
}

/**
 * Every combination of the sets; the first is outermost: `product(a, b)` is "for a of A, for b of B".
 * Throws `ERR_BAD_PARAM_SET` when two factors set the same parameter.
 */
export function product(first: ParamSet, ...rest: ParamSet[]): ParamSet {
  const sources = toSources('product', [first, ...rest]);
  return new ParamSet(sources.reduce((acc, next) => productSource(acc, next)));
}

/** The sets one after the other. */
export function concat(first: ParamSet, ...rest: ParamSet[]): ParamSet {
  return new ParamSet(concatSource(toSources('concat', [first, ...rest])));
}

/** Pairwise: item i of every set merged into one. Throws `ERR_BAD_PARAM_SET` when the sizes differ. */
export function zip(first: ParamSet, ...rest: ParamSet[]): ParamSet {
  return new ParamSet(zipSource(toSources('zip', [first, ...rest])));
}

/** True for a parameter set, also one made by another copy of this package (checks a brand, not `instanceof`). */
export function isParamSet(value: unknown): value is ParamSet {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<PropertyKey, unknown>;
  return (
    candidate[brand] === true &&
    typeof candidate['size'] === 'number' &&
    typeof candidate['at'] === 'function' &&
    Array.isArray(candidate['paramNames']) &&
    typeof candidate[Symbol.iterator] === 'function'
  );
}

function toSources(op: string, sets: readonly unknown[]): Source[] {
  return sets.map((set, i) => {
    if (!isParamSet(set)) {
      throw new BottleError(
        'ERR_BAD_PARAM_SET',
        `${op}: argument ${i + 1} is not a parameter set (use pset)`,
      );
    }
    // Works for a set from another copy of the package too: only its public surface is used.
    return {
      size: set.size,
      names: set.paramNames,
      at: (index: number) => set.at(index),
      iterate: () => set[Symbol.iterator](),
    };
  });
}

/** Unhashable values are a parameter-set error here, with the path kept from the hash's message. */
function rethrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (isBottleError(error, 'ERR_BAD_PARAMS')) {
      throw new BottleError('ERR_BAD_PARAM_SET', error.message, { cause: error, details: error.details });
    }
    throw error;
  }
}
