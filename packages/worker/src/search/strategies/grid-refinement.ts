/**
 * Grid refinement: a grid of `points` per parameter over the space, then, round after round, a grid
 * as fine over a box `shrink` times as wide centred on the best point of the round before. With an
 * odd `points` that best point is again on the new grid (told from the queue, not run again), so the
 * best never gets worse from one round to the next. `logUniform` parameters are refined in their
 * logarithm, `int` ones on whole numbers; a `choice` parameter is tried in full in the first round,
 * then kept at the best round's value.
 *
 * A round is asked only once the one before is told in full: at most `points ** dimensions` tasks
 * are in flight, whatever `maxParallel` allows. The search ends after `rounds` rounds.
 */
import { BottleError, canonicalJson, type JsonValue, type Params } from '@bottle/protocol';
import { isBetter, type Strategy } from '../search.js';
import { checkSpace, type Range, type Space } from '../space.js';

export interface GridRefinementOptions {
  /** Grid points per parameter in each round (default 5; odd keeps the centre on the next grid). */
  points?: number;
  /** Each round's box is this fraction of the one before, per parameter (default 0.5). */
  shrink?: number;
  /** Rounds in all, the first over the whole space (default 4). */
  rounds?: number;
}

/** A parameter's current interval, in the space it is refined in (the logarithm for logUniform). */
interface Interval {
  low: number;
  high: number;
}

export function gridRefinement(space: Space, options: GridRefinementOptions = {}): Strategy {
  const checked = checkSpace(space, 'gridRefinement');
  const points = options.points ?? 5;
  const shrink = options.shrink ?? 0.5;
  const rounds = options.rounds ?? 4;
  if (!Number.isInteger(points) || points < 2)
    throw new BottleError('ERR_BAD_SEARCH', 'gridRefinement: points must be a whole number >= 2');
  if (!(shrink > 0 && shrink < 1))
    throw new BottleError('ERR_BAD_SEARCH', 'gridRefinement: shrink must be between 0 and 1');
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new BottleError('ERR_BAD_SEARCH', 'gridRefinement: rounds must be a whole number >= 1');

  const names = Object.keys(checked);
  const bounds = new Map(names.map((name) => [name, outer(checked[name] as Range)]));
  let intervals = new Map(bounds);
  let fixed: Record<string, JsonValue> = {};
  let round = 0;
  let grid = buildGrid();
  let ids = new Set(grid.map((point) => canonicalJson(point)));
  let asked = 0;
  /** The round's points by canonical JSON, with the value told (null: told without a value). */
  let told = new Map<string, number | null>();
  let best: { params: Params; value: number } | undefined;

  function buildGrid(): Params[] {
    let sets: Record<string, JsonValue>[] = [{ ...fixed }];
    for (const name of names) {
      if (name in fixed) continue;
      const values = axis(
        checked[name] as Range,
        intervals.get(name) as Interval,
        bounds.get(name) as Interval,
        points,
      );
      sets = sets.flatMap((set) => values.map((value) => ({ ...set, [name]: value })));
    }
    return sets;
  }

  function nextRound(): boolean {
    if (round + 1 >= rounds || best === undefined) return false;
    round++;
    const centre = best.params;
    intervals = new Map(
      names.map((name) => {
        const range = checked[name] as Range;
        const { low, high } = intervals.get(name) as Interval;
        if ('choice' in range) return [name, { low, high }];
        const at = 'logUniform' in range ? Math.log(centre[name] as number) : (centre[name] as number);
        const half = ((high - low) * shrink) / 2;
        // Centred on the best even at an edge (the points past it are clamped onto it, and kept once),
        // so that the best is on the new grid.
        return [name, { low: at - half, high: at + half }];
      }),
    );
    fixed = Object.fromEntries(
      names
        .filter((name) => 'choice' in (checked[name] as Range))
        .map((name) => [name, centre[name] as JsonValue]),
    );
    grid = buildGrid();
    ids = new Set(grid.map((point) => canonicalJson(point)));
    asked = 0;
    told = new Map();
    best = undefined;
    return true;
  }

  return {
    ask(n) {
      if (asked === grid.length && told.size >= grid.length && !nextRound()) return [];
      const batch = grid.slice(asked, asked + n);
      asked += batch.length;
      return batch;
    },
    tell(params, outcome) {
      const id = canonicalJson(params);
      // Replayed tasks of earlier rounds are told again when their round is asked again.
      if (!ids.has(id) || told.has(id)) return;
      told.set(id, outcome.value ?? null);
      if (isBetter(outcome.objective, outcome.value, best?.value))
        best = { params, value: outcome.value as number };
    },
  };
}

/** The interval a range is refined in. */
function outer(range: Range): Interval {
  if ('uniform' in range) return { low: range.uniform[0], high: range.uniform[1] };
  if ('logUniform' in range)
    return { low: Math.log(range.logUniform[0]), high: Math.log(range.logUniform[1]) };
  if ('int' in range) return { low: range.int[0], high: range.int[1] };
  return { low: 0, high: range.choice.length - 1 };
}

/** A round's values of one parameter: `points` evenly spaced over the interval (whole numbers kept once). */
function axis(range: Range, { low, high }: Interval, limit: Interval, points: number): JsonValue[] {
  if ('choice' in range) return [...range.choice];
  const clamp = (x: number) => Math.min(limit.high, Math.max(limit.low, x));
  const spaced = Array.from({ length: points }, (_, i) => clamp(low + ((high - low) * i) / (points - 1)));
  if ('logUniform' in range) return [...new Set(spaced)].map(Math.exp);
  if ('int' in range) return [...new Set(spaced.map(Math.round))];
  return [...new Set(spaced)];
}
