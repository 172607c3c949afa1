/**
 * Successive halving: many parameter sets on a small budget, the best of them on a larger one, and
 * so on. Rung 0 runs `configs` sets drawn from the space with `budget.name` = `budget.min`; once
 * every set of a rung is told, the best 1/`eta` of them (at least one) run again with the budget
 * multiplied by `eta`, until a rung reaches `budget.max`. A failed set never goes up.
 *
 * The budget is a parameter of the task (epochs, samples, iterations): the task reads it like any
 * other parameter, and each rung's task is a task of its own (its own key and output folder).
 */
import { BottleError, canonicalJson, type Params } from '@bottle/protocol';
import { seededRandom } from '../_rng.js';
import { isBetter, type Objective, type Strategy } from '../search.js';
import { checkSpace, type Space, sampleSpace } from '../space.js';

export interface SuccessiveHalvingOptions {
  /** The budget parameter: its name, and its value on the first and the last rung. */
  budget: { name: string; min: number; max: number };
  /** Sets on the first rung (default 27). */
  configs?: number;
  /** One in `eta` goes up a rung, with `eta` times the budget (default 3). */
  eta?: number;
  /** The same seed draws the same sets (default 1). */
  seed?: number;
}

/** The rungs' sizes and budgets: what a search with these options runs, in all. */
export function halvingRungs(options: SuccessiveHalvingOptions): Array<{ configs: number; budget: number }> {
  const { min, max } = options.budget;
  const eta = options.eta ?? 3;
  const rungs = [];
  let configs = options.configs ?? 27;
  for (let budget = min; ; budget *= eta) {
    rungs.push({ configs, budget: Math.min(budget, max) });
    if (budget >= max || configs === 1) break;
    configs = Math.max(1, Math.floor(configs / eta));
  }
  return rungs;
}

export function successiveHalving(space: Space, options: SuccessiveHalvingOptions): Strategy {
  const checked = checkSpace(space, 'successiveHalving');
  const { name, min, max } = options.budget ?? ({} as SuccessiveHalvingOptions['budget']);
  const bad = (what: string) => new BottleError('ERR_BAD_SEARCH', `successiveHalving: ${what}`);
  if (typeof name !== 'string' || name === '' || name in checked)
    throw bad('budget.name names the budget parameter, which is not one of the space');
  if (!(Number.isFinite(min) && Number.isFinite(max) && min > 0 && min <= max))
    throw bad('budget needs 0 < min <= max');
  const eta = options.eta ?? 3;
  const configs = options.configs ?? 27;
  if (!Number.isInteger(eta) || eta < 2) throw bad('eta must be a whole number >= 2');
  if (!Number.isInteger(configs) || configs < 1) throw bad('configs must be a whole number >= 1');

  const rungs = halvingRungs({ ...options, eta, configs });
  const random = seededRandom(options.seed ?? 1);
  let rung = 0;
  let sets: Params[] = Array.from({ length: configs }, () => sampleSpace(checked, random));
  let asked = 0;
  /** The rung's sets by canonical JSON (without the budget), with the value told. */
  let told = new Map<string, number | undefined>();
  let objective: Objective = { minimize: '' };

  const withBudget = (set: Params): Params => ({
    ...set,
    [name]: (rungs[rung] as { budget: number }).budget,
  });
  const idOf = (params: Params) => {
    const { [name]: _budget, ...set } = params;
    return canonicalJson(set);
  };
  let ids = new Map(sets.map((set) => [idOf(set), set]));

  const promote = (): boolean => {
    if (rung + 1 >= rungs.length) return false;
    const ranked = [...sets]
      .filter((set) => told.get(idOf(set)) !== undefined)
      .sort((a, b) => {
        const [va, vb] = [told.get(idOf(a)), told.get(idOf(b))];
        return isBetter(objective, va, vb) ? -1 : isBetter(objective, vb, va) ? 1 : 0;
      });
    rung++;
    sets = ranked.slice(0, (rungs[rung] as { configs: number }).configs);
    if (sets.length === 0) return false;
    ids = new Map(sets.map((set) => [idOf(set), set]));
    told = new Map();
    asked = 0;
    return true;
  };

  return {
    ask(n) {
      if (asked === sets.length && told.size >= sets.length && !promote()) return [];
      const batch = sets.slice(asked, asked + n).map(withBudget);
      asked += batch.length;
      return batch;
    },
    tell(params, outcome) {
      objective = outcome.objective;
      const id = idOf(params);
      // Another rung's task (replayed after a restart) is told again when its rung is asked.
      if (params[name] !== (rungs[rung] as { budget: number }).budget || !ids.has(id) || told.has(id)) return;
      told.set(id, outcome.value);
    },
  };
}
