import { describe, expect, it } from 'vitest';
import { isBottleError } from './errors.js';
import { concat, fromList, isParamSet, type ParamSet, product, pset, zip } from './pset.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('pset', () => {
  it("yields the seed's 37 parameter sets in the original's order", () => {
    const set = pset('a', range(1, 7))
      .times(pset('b', ['a', 'b', 'c', 'd', 'e']))
      .plus(pset('x', [1000, 10001]));
    const expected = [
      ...range(1, 7).flatMap((a) => ['a', 'b', 'c', 'd', 'e'].map((b) => ({ a, b }))),
      { x: 1000 },
      { x: 10001 },
    ];
    expect(set.size).toBe(37);
    expect([...set]).toEqual(expected);
    expect([...set].slice(0, 3)).toEqual([
      { a: 1, b: 'a' },
      { a: 1, b: 'b' },
      { a: 1, b: 'c' },
    ]);
    expect(set.at(36)).toEqual({ x: 10001 });
  });

  it('product: the left factor is outermost', () => {
    expect([...product(pset('a', [1, 2]), pset('b', [3, 4]))]).toEqual([
      { a: 1, b: 3 },
      { a: 1, b: 4 },
      { a: 2, b: 3 },
      { a: 2, b: 4 },
    ]);
  });

  it('product, concat and zip take several sets', () => {
    const abc = product(pset('a', [1, 2]), pset('b', [3]), pset('c', [4, 5]));
    expect([...abc]).toEqual([
      ...pset('a', [1, 2])
        .times(pset('b', [3]))
        .times(pset('c', [4, 5])),
    ]);
    expect([...concat(pset('a', [1]), pset('b', [2]), pset('a', [3]))]).toEqual([
      { a: 1 },
      { b: 2 },
      { a: 3 },
    ]);
    expect([...zip(pset('a', [1, 2]), pset('b', [3, 4]), pset('c', [5, 6]))]).toEqual([
      { a: 1, b: 3, c: 5 },
      { a: 2, b: 4, c: 6 },
    ]);
    expect([...pset('a', [1, 2]).zip(pset('b', ['x', 'y']))]).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('zip of unequal lengths throws ERR_BAD_PARAM_SET naming both sizes', () => {
    const error = thrownBy(() => pset('a', [1, 2, 3]).zip(pset('b', [1, 2])));
    expect(isBottleError(error, 'ERR_BAD_PARAM_SET')).toBe(true);
    expect((error as Error).message).toMatch(/\b3\b.*\b2\b/);
  });

  it('a product whose factors share a parameter name throws naming it', () => {
    const error = thrownBy(() => pset('a', [1]).times(pset('b', [2]).times(pset('a', [3]))));
    expect(isBottleError(error, 'ERR_BAD_PARAM_SET')).toBe(true);
    expect((error as Error).message).toContain('"a"');
    expect(() => zip(pset('a', [1]), pset('a', [2]))).toThrow(/"a"/);
  });

  it('refuses an empty name, non-array values and unhashable values, naming the path', () => {
    expect(() => pset('', [1])).toThrow(/name/);
    expect(() => pset('a', 'abc' as unknown as unknown[])).toThrow(/array/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, undefined, new Date(0), 1n]) {
      const error = thrownBy(() => pset('b', [1, 2, { deep: [bad] }]));
      expect(isBottleError(error, 'ERR_BAD_PARAM_SET')).toBe(true);
      expect((error as Error).message).toContain('pset("b")[2].deep[0]');
    }
  });

  it('rejects arguments that are not parameter sets', () => {
    expect(() => product(pset('a', [1]), [{ b: 1 }] as unknown as ParamSet)).toThrow(/argument 2/);
  });

  it('knows its size without iterating, and streams a 10^9 product lazily', () => {
    const thousand = range(1, 1000);
    const huge = product(pset('a', thousand), pset('b', thousand), pset('c', thousand));
    expect(huge.size).toBe(1e9);
    // Materializing 10^9 objects would exhaust memory; a lazy iterator hands out the first ones at once.
    const iterator = huge[Symbol.iterator]();
    expect(Array.isArray(iterator)).toBe(false);
    expect(iterator.next().value).toEqual({ a: 1, b: 1, c: 1 });
    expect(iterator.next().value).toEqual({ a: 1, b: 1, c: 2 });
    expect(huge.at(999_999_999)).toEqual({ a: 1000, b: 1000, c: 1000 });
    expect(huge.at(1_000_000)).toEqual({ a: 2, b: 1, c: 1 });
  });

  it('iterates a 1000x1000 product to its end', () => {
    const thousand = range(1, 1000);
    let count = 0;
    let last: unknown;
    for (const item of pset('a', thousand).times(pset('b', thousand))) {
      count++;
      last = item;
    }
    expect(count).toBe(1_000_000);
    expect(last).toEqual({ a: 1000, b: 1000 });
  });

  it('hands out a fresh plain object each time, nested values included', () => {
    const set = pset('a', [{ deep: [1] }]).times(pset('b', [2]));
    const first = set.at(0);
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    (first['a'] as { deep: number[] }).deep.push(99);
    first['b'] = 3;
    expect(set.at(0)).toEqual({ a: { deep: [1] }, b: 2 });
    expect([...set][0]).toEqual({ a: { deep: [1] }, b: 2 });
    const [x] = set;
    const [y] = set;
    expect(x).not.toBe(y);
  });

  it('named returns a copy with the scan name and validates it', () => {
    const base = pset('a', [1, 2]);
    const named = base.named('sweep-1');
    expect(named.name).toBe('sweep-1');
    expect(base.name).toBeUndefined();
    expect([...named]).toEqual([...base]);
    expect(named.times(pset('b', [1])).name).toBeUndefined();
    expect(() => base.named('has space')).toThrow(/scan names/);
  });

  it('at refuses indexes outside the set', () => {
    const set = pset('a', [1, 2]);
    expect(() => set.at(2)).toThrow(RangeError);
    expect(() => set.at(-1)).toThrow(RangeError);
    expect(() => set.at(0.5)).toThrow(RangeError);
  });

  it('handles empty sets', () => {
    const empty = pset('a', []);
    expect(empty.size).toBe(0);
    expect([...empty.times(pset('b', [1, 2]))]).toEqual([]);
    expect([...pset('b', [1, 2]).times(empty)]).toEqual([]);
    expect([...empty.plus(pset('b', [1]))]).toEqual([{ b: 1 }]);
  });
});

describe('fromList', () => {
  it('wraps an explicit list, copying each item', () => {
    const list = [{ a: 1, b: [1, 2] }, { c: 'x' }];
    const set = fromList(list);
    expect(set.size).toBe(2);
    expect(set.paramNames).toEqual(['a', 'b', 'c']);
    list[0]!.a = 5;
    expect([...set]).toEqual([{ a: 1, b: [1, 2] }, { c: 'x' }]);
    expect([...fromList([{ a: 1 }, { a: 2 }]).times(pset('b', [0]))]).toEqual([
      { a: 1, b: 0 },
      { a: 2, b: 0 },
    ]);
  });

  it('refuses items that are not plain objects of JSON values', () => {
    expect(() => fromList([{ a: 1 }, [1]])).toThrow(/list\[1\]/);
    expect(() => fromList([{ a: { b: Number.NaN } }])).toThrow(/list\[0\]\.a\.b/);
    expect(() => fromList('x' as unknown as unknown[])).toThrow(/array/);
  });
});

describe('isParamSet', () => {
  it('recognises sets, also from another copy of the package', () => {
    expect(isParamSet(pset('a', [1]))).toBe(true);
    expect(isParamSet([{ a: 1 }])).toBe(false);
    expect(isParamSet(null)).toBe(false);
    expect(isParamSet({ size: 1, at: () => ({}) })).toBe(false);
    // What another copy's ParamSet looks like: same Symbol.for brand, public surface only.
    const items = [{ z: 1 }, { z: 2 }];
    const foreign = {
      [Symbol.for('@bottle/protocol.ParamSet')]: true,
      size: 2,
      paramNames: ['z'],
      at: (i: number) => ({ ...items[i]! }),
      [Symbol.iterator]: () => items.map((item) => ({ ...item }))[Symbol.iterator](),
    };
    expect(isParamSet(foreign)).toBe(true);
    const mixed = pset('a', [1]).times(foreign as unknown as ParamSet);
    expect([...mixed]).toEqual([
      { a: 1, z: 1 },
      { a: 1, z: 2 },
    ]);
    expect(mixed.at(1)).toEqual({ a: 1, z: 2 });
  });
});
