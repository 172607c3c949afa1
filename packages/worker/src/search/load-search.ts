/**
 * Loads a search module's `search()` export (`path/to/module.search`) as the controller runs it:
 * called, checked (ERR_BAD_SEARCH), its task name resolved against the module, its defaults filled in.
 */
import { basename, extname, resolve } from 'node:path';
import { BottleError } from '@bottle/protocol';
import { readDataFile } from '../_data-file.js';
import { loadTaskModule } from '../task/load-module.js';
import { checkSearch, type ResolvedSearch, type Search } from './search.js';
import { searchFromFile } from './search-file.js';

const SEARCH_FILE = /\.(ya?ml|json)$/i;

/**
 * Loads `spec`: a module's search export (`path/to/module.search`), or a search file (`.yaml`,
 * `.yml`, `.json`, read relative to `root`) naming a built-in strategy.
 */
export async function loadSearch(spec: string, root: string = process.cwd()): Promise<ResolvedSearch> {
  if (SEARCH_FILE.test(spec)) {
    const data = readDataFile(resolve(root, spec), 'ERR_BAD_SEARCH', 'the search file', spec);
    return resolveSearch(searchFromFile(data, spec), basename(spec, extname(spec)));
  }
  const { resolved, value } = await loadTaskModule(spec, root);
  const where = `${resolved.module}.${resolved.exportName}`;
  if (typeof value !== 'function') {
    throw new BottleError(
      'ERR_BAD_SEARCH',
      `${where} is a ${typeof value}, not a search: export a function search() returning { task, objective, budget, ask, tell }; see docs/search.md`,
    );
  }
  const search = checkSearch(await (value as () => unknown)(), where);
  return resolveSearch(search, `${basename(resolved.module)}.${resolved.exportName}`, resolved.module);
}

/**
 * Fills in a search's defaults: `scan` (else `defaultScan`), `budget.maxParallel` 1, and a task
 * named without a module (`task: 'run'`) as an export of `module`.
 */
export function resolveSearch(search: Search, defaultScan: string, module?: string): ResolvedSearch {
  const checked = checkSearch(search, defaultScan);
  const task =
    checked.task.includes('.') || module === undefined ? checked.task : `${module}.${checked.task}`;
  // The object itself, not a copy: ask and tell may be methods that use `this`.
  return Object.assign(checked, {
    task,
    scan: checked.scan ?? defaultScan,
    budget: { ...checked.budget, maxParallel: checked.budget.maxParallel ?? 1 },
  }) as ResolvedSearch;
}
