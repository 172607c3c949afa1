/**
 * Loads a search module's `search()` export (`path/to/module.search`) as the controller runs it:
 * called, checked (ERR_BAD_SEARCH), its task name resolved against the module, its defaults filled in.
 */
import { basename, extname, resolve } from 'node:path';
import { BottleError, sweepFromSpec } from '@bottle/protocol';
import { readDataFile } from '../_data-file.js';
import { loadTaskModule } from '../task/load-module.js';
import { type LoadedScan, type LoadScanOptions, scanOfExport, sweepScan } from '../task/scan.js';
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

/**
 * Loads `spec` as `bottle-server -p` takes it: a scan to submit, or a search to run. A module's
 * export is called once: what it returns (parameter sets, or a search object with ask and tell)
 * says which. A data file is a search file when it names a `strategy` or an `objective`, else a
 * sweep file.
 */
export async function loadScanOrSearch(
  spec: string,
  options: LoadScanOptions & { root: string },
): Promise<{ scan: LoadedScan } | { search: ResolvedSearch }> {
  const { root } = options;
  if (SEARCH_FILE.test(spec)) {
    const data = readDataFile(resolve(root, spec), 'ERR_BAD_PARAM_SET', 'the sweep file', spec);
    if (typeof data === 'object' && data !== null && ('strategy' in data || 'objective' in data))
      return { search: resolveSearch(searchFromFile(data, spec), basename(spec, extname(spec))) };
    return { scan: sweepScan(sweepFromSpec(data, spec)) };
  }
  const module = await loadTaskModule(spec, root);
  const { resolved, value } = module;
  if (typeof value !== 'function') {
    throw new BottleError(
      'ERR_BAD_TASK_MODULE',
      `${resolved.module}.${resolved.exportName} is a ${typeof value}, not a scan or a search: export a function returning parameter sets, or a search(); see docs/search.md`,
    );
  }
  const returned = await (value as () => unknown)();
  if (!isSearchLike(returned)) return { scan: scanOfExport(module, returned, options) };
  const where = `${resolved.module}.${resolved.exportName}`;
  const search = checkSearch(returned, where);
  return {
    search: resolveSearch(search, `${basename(resolved.module)}.${resolved.exportName}`, resolved.module),
  };
}

/** A search object, not parameter sets: it has ask (or tell) as a function. */
function isSearchLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { ask, tell } = value as { ask?: unknown; tell?: unknown };
  return typeof ask === 'function' || typeof tell === 'function';
}
