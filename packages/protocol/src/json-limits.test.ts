import { describe, expect, it } from 'vitest';
import { isBottleError } from './errors.js';
import { canonicalJson, hashParams, MAX_JSON_DEPTH, taskKey } from './hash.js';
import { claimRequestSchema, paramsSchema, reportRequestSchema, submitRequestSchema } from './schemas.js';

/** `levels` arrays around a number. */
const nest = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isBottleError(error, 'ERR_BAD_PARAMS')) return error.message;
    throw error;
  }
  throw new Error('not refused');
}

describe('the nesting limit', () => {
  it('hashes a parameter set of exactly MAX_JSON_DEPTH levels and refuses one more, naming the path', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    // The parameter set is level 1, so its value may nest MAX_JSON_DEPTH - 1 levels.
    expect(hashParams({ a: nest(MAX_JSON_DEPTH - 1) as never })).toMatch(/^[0-9a-f]{64}$/);
    expect(refusal(() => hashParams({ a: nest(MAX_JSON_DEPTH) as never }))).toMatch(
      /^params\.a(\[0\]){63}: nested deeper than 64 levels/,
    );
  });

  it('refuses 100,000 levels without overflowing the stack, on the client and in the schemas', () => {
    const deep = JSON.parse(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(refusal(() => hashParams(deep))).toContain('nested deeper than 64 levels');
    const parsed = submitRequestSchema.safeParse({ tasks: [{ task: 't', params: deep }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('nested deeper than 64 levels');
    const report = reportRequestSchema.safeParse({
      workerId: 'w',
      reports: [{ outcome: 'done', key: 'a'.repeat(64), leaseToken: 't', result: deep }],
    });
    expect(report.success).toBe(false);
  });

  it('agrees between the schema and the hash at the boundary', () => {
    const ok = { a: nest(MAX_JSON_DEPTH - 1) };
    const tooDeep = { a: nest(MAX_JSON_DEPTH) };
    expect(paramsSchema.safeParse(ok).success).toBe(true);
    expect(paramsSchema.safeParse(tooDeep).success).toBe(false);
  });
});

describe('keys JavaScript cannot carry', () => {
  it('refuses a "__proto__" key in params, at any depth, instead of dropping it', () => {
    const top = JSON.parse('{"__proto__":{"x":1},"a":2}');
    expect(refusal(() => hashParams(top))).toMatch(/^params\.__proto__: the key "__proto__"/);
    const nested = JSON.parse('{"a":[{"__proto__":1}]}');
    expect(refusal(() => canonicalJson(nested))).toMatch(/^params\.a\[0\]\.__proto__:/);
    const parsed = submitRequestSchema.safeParse({ tasks: [{ task: 't', params: top }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['tasks', 0, 'params', '__proto__']);
  });

  it('carries "constructor" and "prototype" keys as they are, in the schema and the hash', () => {
    const params = JSON.parse('{"constructor":1,"prototype":{"constructor":2},"a":3}');
    const parsed = paramsSchema.parse(params);
    expect(Object.keys(parsed).sort()).toEqual(['a', 'constructor', 'prototype']);
    expect(canonicalJson(parsed)).toBe('{"a":3,"constructor":1,"prototype":{"constructor":2}}');
    expect(hashParams(parsed)).not.toBe(hashParams({ a: 3 }));
  });
});

describe('lone surrogates in hashed or stored strings', () => {
  it('are refused in task names, worker ids, hosts, lease tokens and claim ids', () => {
    const lone = '\ud800';
    expect(submitRequestSchema.safeParse({ tasks: [{ task: lone, params: {} }] }).success).toBe(false);
    expect(() => taskKey(lone, {})).toThrow(/lone UTF-16 surrogate/);
    const claim = { workerId: 'w', host: 'h', max: 1, waitMs: 0 };
    expect(claimRequestSchema.safeParse(claim).success).toBe(true);
    for (const field of ['workerId', 'host', 'claimId']) {
      expect(claimRequestSchema.safeParse({ ...claim, [field]: `x${lone}` }).success, field).toBe(false);
    }
  });

  it('are refused in params keys and values, and in results', () => {
    expect(paramsSchema.safeParse({ a: '\udc00' }).success).toBe(false);
    expect(paramsSchema.safeParse({ '\udc00': 1 }).success).toBe(false);
    const report = reportRequestSchema.safeParse({
      workerId: 'w',
      reports: [{ outcome: 'done', key: 'a'.repeat(64), leaseToken: 't', result: { r: 'x\ud800' } }],
    });
    expect(report.success).toBe(false);
  });
});

describe('the parameter schema does not copy', () => {
  it('returns the very object it checked', () => {
    const params = { a: [1, { b: 2 }] };
    expect(paramsSchema.parse(params)).toBe(params);
  });
  it('refuses arrays and scalars as a parameter set', () => {
    for (const bad of [[1, 2], 3, 'x', null]) expect(paramsSchema.safeParse(bad).success).toBe(false);
  });
});
