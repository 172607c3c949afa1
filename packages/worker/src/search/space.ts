/**
 * A search space: each parameter's range. `uniform` and `logUniform` are real intervals (the
 * latter sampled evenly in the logarithm: 1e-4..1e-1 as often as 1e-1..1e2), `int` an inclusive
 * integer interval, `choice` a list of values.
 */
import { BottleError, type JsonValue, type Params } from '@bottle/protocol';
import type { Random } from './_rng.js';

export type Range =
  | { uniform: readonly [number, number] }
  | { logUniform: readonly [number, number] }
  | { int: readonly [number, number] }
  | { choice: readonly JsonValue[] };

export type Space = Readonly<Record<string, Range>>;

/** Checks a space (ERR_BAD_SEARCH naming the parameter) and returns it. */
export function checkSpace(space: unknown, who: string): Space {
  const bad = (what: string) => new BottleError('ERR_BAD_SEARCH', `${who}: ${what}`);
  if (typeof space !== 'object' || space === null || Object.keys(space).length === 0)
    throw bad(
      'give a space: { name: { uniform: [low, high] } | { logUniform: [...] } | { int: [...] } | { choice: [...] } }',
    );
  for (const [name, range] of Object.entries(space as Record<string, unknown>)) {
    const kinds = typeof range === 'object' && range !== null ? Object.keys(range) : [];
    const kind = kinds[0];
    if (kinds.length !== 1 || !['uniform', 'logUniform', 'int', 'choice'].includes(kind as string))
      throw bad(`${name} must be one of { uniform }, { logUniform }, { int }, { choice }`);
    const bounds = (range as Record<string, unknown>)[kind as string];
    if (kind === 'choice') {
      if (!Array.isArray(bounds) || bounds.length === 0) throw bad(`${name}: choice needs a non-empty list`);
      continue;
    }
    const [low, high] = Array.isArray(bounds) ? (bounds as unknown[]) : [];
    if (!Array.isArray(bounds) || bounds.length !== 2 || !finite(low) || !finite(high) || low > high)
      throw bad(`${name}: ${kind} needs [low, high] with finite low <= high`);
    if (kind === 'logUniform' && low <= 0) throw bad(`${name}: logUniform needs low > 0`);
    if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high)))
      throw bad(`${name}: int needs integer bounds`);
  }
  return space as Space;
}

/** One value of `range`, drawn with `random`. */
export function sampleRange(range: Range, random: Random): JsonValue {
  if ('choice' in range) return range.choice[Math.floor(random() * range.choice.length)] as JsonValue;
  if ('int' in range) {
    const [low, high] = range.int;
    return low + Math.floor(random() * (high - low + 1));
  }
  if ('logUniform' in range) {
    const [low, high] = range.logUniform;
    return Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
  }
  const [low, high] = range.uniform;
  return low + random() * (high - low);
}

/** One parameter set drawn from the space. */
export function sampleSpace(space: Space, random: Random): Params {
  const params: Record<string, JsonValue> = {};
  for (const [name, range] of Object.entries(space)) params[name] = sampleRange(range, random);
  return params;
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
