/**
 * The search contract: what a search module's `search()` returns. A search proposes parameter sets
 * (`ask`) and learns from each that ended (`tell`); the controller (runSearch) submits what it
 * proposes, keeps `budget.maxParallel` tasks in flight and stops at the budget or the target.
 *
 * Glossary: an *objective* is the result field to minimize or maximize; its *value* is that field of
 * a done task's result (undefined when the task failed, or its result has no finite number there);
 * the *best* is the told task with the best value so far.
 */
import { BottleError, type JsonValue, type Objective, type Params } from '@bottle/protocol';

/** Which result field to minimize or maximize (a dotted path into the task's result: `loss`, `metrics.acc`). */
export type { Objective };

export interface Budget {
  /** Most distinct tasks the search runs (told ones included, from before a restart too). */
  maxTasks: number;
  /** Most tasks in flight (queued or running) at once; default 1. */
  maxParallel?: number;
  /** Stop proposing once a value this good (at or below for minimize, at or above for maximize) is told. */
  target?: number;
}

/** What `tell` learns of one task that ended. */
export interface Told {
  /** The objective's value, or undefined when the task failed or its result has no finite number there. */
  value: number | undefined;
  state: 'done' | 'failed' | 'cancelled';
  result: JsonValue | null;
  error: string | null;
  /** The search's objective, so that a strategy knows which way is better (see isBetter). */
  objective: Objective;
  /** The task's queue key and its parameters' hash (its output folder is `<outRoot>/<paramsHash>`). */
  key: string;
  paramsHash: string;
}

/** How a search proposes and learns; built-in strategies (randomSearch, ...) return one. */
export interface Strategy {
  /**
   * Up to `n` parameter sets to run next (fewer is fine). An empty answer while tasks are in flight
   * means "wait for their results"; with none in flight it ends the search (the space is exhausted).
   */
  ask(n: number): Params[] | Promise<Params[]>;
  /** Learns from a task that ended. Also called, on start, for the tasks that ended before. */
  tell(params: Params, told: Told): void | Promise<void>;
}

export interface Search extends Strategy {
  /** The task each parameter set runs with: `path/to/module.exportName`, or an export of the search's module. */
  task: string;
  objective: Objective;
  budget: Budget;
  /** The scan the tasks go to; default `<module file name>.<export name>` (e.g. `quadratic.search`). */
  scan?: string;
}

/** A search with its defaults filled in and its task name resolved. */
export interface ResolvedSearch extends Search {
  scan: string;
  budget: Required<Omit<Budget, 'target'>> & Pick<Budget, 'target'>;
}

/** Checks what a `search()` returned; `where` names it in errors (ERR_BAD_SEARCH). */
export function checkSearch(value: unknown, where: string): Search {
  const bad = (what: string) => new BottleError('ERR_BAD_SEARCH', `${where}: ${what}; see docs/search.md`);
  if (typeof value !== 'object' || value === null)
    throw bad(`returned ${typeOf(value)}, not a search object`);
  const search = value as Partial<Search>;
  if (typeof search.task !== 'string' || search.task === '')
    throw bad("no task: set task to the task's name (an export of this module, or path/to/module.export)");
  if (typeof search.ask !== 'function' || typeof search.tell !== 'function')
    throw bad(
      'a search has ask(n) and tell(params, told) methods (spread a strategy: ...randomSearch(space))',
    );
  const objective = search.objective as Record<string, unknown> | undefined;
  const field = objective?.['minimize'] ?? objective?.['maximize'];
  if (typeof field !== 'string' || field === '' || ('minimize' in objective! && 'maximize' in objective!))
    throw bad("objective must be { minimize: 'field' } or { maximize: 'field' }");
  const budget = search.budget as Partial<Budget> | undefined;
  if (!budget || !positiveInt(budget.maxTasks))
    throw bad('budget.maxTasks must be a positive integer (the most tasks the search runs)');
  if (budget.maxParallel !== undefined && !positiveInt(budget.maxParallel))
    throw bad('budget.maxParallel must be a positive integer');
  if (budget.target !== undefined && !Number.isFinite(budget.target))
    throw bad('budget.target must be a finite number');
  if (
    search.scan !== undefined &&
    (typeof search.scan !== 'string' || !/^[\w.\-:@+]{1,200}$/.test(search.scan))
  )
    throw bad('scan names use letters, digits and _ . - : @ +');
  return search as Search;
}

/** The objective's value in a result: the number at its dotted path, if finite. */
export function objectiveValue(objective: Objective, result: JsonValue | null): number | undefined {
  const path = 'minimize' in objective ? objective.minimize : objective.maximize;
  let value: unknown = result;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** True when `a` is better than `b` under the objective (any value beats none). */
export function isBetter(objective: Objective, a: number | undefined, b: number | undefined): boolean {
  if (a === undefined) return false;
  if (b === undefined) return true;
  return 'minimize' in objective ? a < b : a > b;
}

const positiveInt = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
const typeOf = (value: unknown) => (value === null ? 'null' : typeof value);
