/**
 * Byte sizes as people write them in options and flags, with one meaning everywhere: a number of
 * bytes, or a number with a unit. KB, MB, GB and TB are powers of 1000, KiB, MiB, GiB and TiB powers
 * of 1024 (as SI and IEC define them); `k`, `m`, `g`, `t` alone are the powers of 1000; case does not
 * matter. So `'16MiB'` is 16,777,216 bytes and `'16MB'` 16,000,000.
 */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/**
 * Bytes (a whole number >= 1) of `value`: a positive integer, or text such as `'500MB'`, `'2GiB'`,
 * `'1.5 kib'`. Undefined when it is not a size, so that each caller says what it was reading.
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  const bytes = match && factor ? Math.floor(Number(match[1]) * factor) : Number.NaN;
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}
