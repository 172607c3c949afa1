import { describe, expect, it } from 'vitest';
import { BottleError, isBottleError } from './errors.js';

describe('BottleError', () => {
  it('takes its status from the catalog for a known code', () => {
    const error = new BottleError('ERR_STALE_LEASE', 'gone');
    expect(error.status).toBe(409);
    expect(error.toJSON()).toEqual({ error: { code: 'ERR_STALE_LEASE', message: 'gone' } });
  });

  it("carries a code this version does not know (a newer server's) with the status it came with", () => {
    const error = new BottleError('ERR_NEWER_RULE', 'refused by a rule from the future', { status: 422 });
    expect(error.status).toBe(422);
    expect(isBottleError(error)).toBe(true);
    expect(isBottleError(error, 'ERR_STALE_LEASE')).toBe(false);
    expect(new BottleError('ERR_NEWER_RULE', 'x').status).toBeUndefined();
  });

  it('is recognised by name and code form, also as a copy from another instance of the package', () => {
    const copy = Object.assign(new Error('x'), { name: 'BottleError', code: 'ERR_TIMEOUT' });
    expect(isBottleError(copy, 'ERR_TIMEOUT')).toBe(true);
    expect(isBottleError(Object.assign(new Error('x'), { name: 'BottleError', code: 'E_NOPE' }))).toBe(false);
    expect(isBottleError(Object.assign(new Error('x'), { code: 'ERR_TIMEOUT' }))).toBe(false);
  });
});
