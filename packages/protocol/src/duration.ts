/** Durations as people write them in files and flags: `90` (seconds), `90s`, `5m`, `2h`, `1d`, `1.5h`, `250ms`. */
import { BottleError, type ErrorCode } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds (a whole number >= 1) of a duration: a number of seconds, or a number with a unit. */
export function parseDuration(value: unknown, where: string, code: ErrorCode = 'ERR_BAD_PARAM_SET'): number {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value * 1_000;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
    if (match) ms = Number(match[1]) * (UNITS[match[2] ?? 's'] as number);
  }
  ms = Math.round(ms);
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new BottleError(
      code,
      `${where}: ${JSON.stringify(value)} is not a duration; write seconds or e.g. 90s, 5m, 2h, 1d`,
    );
  }
  return ms;
}
