import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Params } from './json.js';
import { concat, type ParamSet, product, pset, zip } from './pset.js';

/** A parameter-set expression; names are given when it is built, so factors never clash. */
type Expr =
  | { kind: 'leaf'; values: number[] }
  | { kind: 'zip'; left: number[]; right: number[] }
  | { kind: 'times' | 'plus'; l: Expr; r: Expr };

const values = fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 4 });

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('leaf' as const), values }),
    fc.integer({ min: 0, max: 4 }).chain((n) =>
      fc.record({
        kind: fc.constant('zip' as const),
        left: fc.array(fc.integer(), { minLength: n, maxLength: n }),
        right: fc.array(fc.integer(), { minLength: n, maxLength: n }),
      }),
    ),
    fc.record({ kind: fc.constantFrom('times' as const, 'plus' as const), l: tie('expr'), r: tie('expr') }),
  ),
}));

/** Builds the lazy set and, beside it, a plainly materialized reference list. */
function build(e: Expr, fresh: () => string): { set: ParamSet; model: Params[] } {
  switch (e.kind) {
    case 'leaf': {
      const name = fresh();
      return { set: pset(name, e.values), model: e.values.map((v) => ({ [name]: v })) };
    }
    case 'zip': {
      const [a, b] = [fresh(), fresh()];
      return {
        set: zip(pset(a, e.left), pset(b, e.right)),
        model: e.left.map((v, i) => ({ [a]: v, [b]: e.right[i]! })),
      };
    }
    case 'times': {
      const l = build(e.l, fresh);
      const r = build(e.r, fresh);
      return { set: l.set.times(r.set), model: l.model.flatMap((x) => r.model.map((y) => ({ ...x, ...y }))) };
    }
    case 'plus': {
      const l = build(e.l, fresh);
      const r = build(e.r, fresh);
      return { set: l.set.plus(r.set), model: [...l.model, ...r.model] };
    }
  }
}

function namer(prefix = 'p'): () => string {
  let n = 0;
  return () => `${prefix}${n++}`;
}

describe('parameter-set algebra (property-based)', () => {
  it('iterating equals the materialized reference and .at(i) for every i', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const { set, model } = build(e, namer());
        expect(set.size).toBe(model.length);
        expect([...set]).toEqual(model);
        for (let i = 0; i < set.size; i++) expect(set.at(i)).toEqual(model[i]);
      }),
    );
  });

  it('|A×B| = |A|·|B| and |A+B| = |A|+|B|', () => {
    fc.assert(
      fc.property(expr, expr, (ea, eb) => {
        const fresh = namer();
        const a = build(ea, fresh).set;
        const b = build(eb, fresh).set;
        expect(product(a, b).size).toBe(a.size * b.size);
        expect(a.times(b).size).toBe(a.size * b.size);
        expect(concat(a, b).size).toBe(a.size + b.size);
        expect([...a.plus(b)]).toEqual([...a, ...b]);
      }),
    );
  });

  it('zip pairs item i with item i', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 6 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.string(), { minLength: n, maxLength: n }),
              fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            ),
          ),
        ([xs, ys]) => {
          const zipped = pset('x', xs).zip(pset('y', ys));
          expect(zipped.size).toBe(xs.length);
          expect([...zipped]).toEqual(xs.map((x, i) => ({ x, y: ys[i] })));
        },
      ),
    );
  });

  it('zip of unequal sizes always throws', () => {
    fc.assert(
      fc.property(values, values, (xs, ys) => {
        fc.pre(xs.length !== ys.length);
        expect(() => zip(pset('x', xs), pset('y', ys))).toThrow(`(${xs.length} and ${ys.length})`);
      }),
    );
  });

  it('product is associative in its items and keeps the left factor outermost', () => {
    fc.assert(
      fc.property(values, values, values, (xs, ys, zs) => {
        const [a, b, c] = [pset('a', xs), pset('b', ys), pset('c', zs)];
        const expected = xs.flatMap((x) => ys.flatMap((y) => zs.map((z) => ({ a: x, b: y, c: z }))));
        expect([...product(a, b, c)]).toEqual(expected);
        expect([...a.times(b.times(c))]).toEqual(expected);
      }),
    );
  });
});
