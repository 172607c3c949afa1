import { describe, expect, it } from 'vitest';
import { parseByteSize } from './sizes.js';

describe('parseByteSize', () => {
  it('reads KB, MB, GB, TB as powers of 1000 and KiB, MiB, GiB, TiB as powers of 1024', () => {
    expect(parseByteSize('1000')).toBe(1000);
    expect(parseByteSize('500MB')).toBe(500_000_000);
    expect(parseByteSize('16mb')).toBe(16_000_000);
    expect(parseByteSize('16MiB')).toBe(16 * 1024 ** 2);
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1.5 kib')).toBe(1536);
    expect(parseByteSize('2k')).toBe(2000);
    expect(parseByteSize('1TB')).toBe(1e12);
    expect(parseByteSize(65_536)).toBe(65_536);
  });

  it.each(['', 'abc', '0', '0.1', '-5MB', '5 parsecs', '1e3', 'MB', '99999999999TiB'])(
    'is undefined for %j',
    (text) => {
      expect(parseByteSize(text)).toBeUndefined();
    },
  );

  it('is undefined for numbers that are not a positive whole count of bytes, and for other types', () => {
    for (const value of [0, -1, 1.5, Number.NaN, null, undefined, {}])
      expect(parseByteSize(value)).toBeUndefined();
  });
});
