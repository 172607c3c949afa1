/**
 * A search written as data (YAML or JSON), for users who write no JavaScript: the task (a command
 * task's name, or path/to/module.export), the objective, the budget, a built-in strategy and its space.
 *
 *   task: train
 *   objective: { minimize: loss }
 *   budget: { maxTasks: 60, maxParallel: 4 }
 *   strategy: { gridRefinement: { points: 5 } }     # or random: { seed: 1 }, or successiveHalving: {...}
 *   space:
 *     lr: { logUniform: [1.0e-5, 1.0e-1] }
 */
import { BottleError } from '@bottle/protocol';
import type { Search, Strategy } from './search.js';
import type { Space } from './space.js';
import { type GridRefinementOptions, gridRefinement } from './strategies/grid-refinement.js';
import { randomSearch } from './strategies/random.js';
import { type SuccessiveHalvingOptions, successiveHalving } from './strategies/successive-halving.js';

const KEYS = new Set(['task', 'scan', 'objective', 'budget', 'strategy', 'space']);

/** The built-in strategies a search file can name, each from its options and the space. */
const STRATEGIES: Record<string, (space: Space, options: Record<string, unknown>) => Strategy> = {
  random: (space, options) => randomSearch(space, options),
  gridRefinement: (space, options) => gridRefinement(space, options as GridRefinementOptions),
  successiveHalving: (space, options) =>
    successiveHalving(space, options as unknown as SuccessiveHalvingOptions),
};

export function searchFromFile(data: unknown, where: string): Search {
  const bad = (what: string) => new BottleError('ERR_BAD_SEARCH', `${where}: ${what}; see docs/search.md`);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw bad('expected an object with task, objective, budget, strategy and space');
  const file = data as Record<string, unknown>;
  for (const key of Object.keys(file))
    if (!KEYS.has(key)) throw bad(`unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  const strategy = file['strategy'] ?? { random: {} };
  const names = typeof strategy === 'object' && strategy !== null ? Object.keys(strategy) : [];
  const name = names[0] as string;
  if (names.length !== 1 || !(name in STRATEGIES))
    throw bad(
      `strategy must name one of ${Object.keys(STRATEGIES).join(', ')}, e.g. { random: { seed: 1 } }`,
    );
  const options = (strategy as Record<string, unknown>)[name] ?? {};
  if (typeof options !== 'object' || options === null)
    throw bad(`strategy.${name}: its options are an object`);
  const build = STRATEGIES[name] as (typeof STRATEGIES)[string];
  const { task, scan, objective, budget } = file;
  return {
    task,
    objective,
    budget,
    ...(scan === undefined ? {} : { scan }),
    ...build(file['space'] as Space, options as Record<string, unknown>),
  } as Search;
}
