/**
 * `@bottle/worker/search`: sweeps that choose their next parameter sets from the results so far.
 * A search module exports `search()` returning a {@link Search}; `bottle search module.search`
 * runs it against a server (runSearch with httpDriver). See docs/search.md.
 */
export { bestTasks, type RankedTask } from './best.js';
export {
  type BestTask,
  type RunSearchOptions,
  runSearch,
  type SearchOutcome,
  type StopReason,
} from './controller.js';
export type { FinishedTask, FinishNotice, SearchDriver, UnfinishedTask } from './driver.js';
export { type HttpDriverOptions, httpDriver } from './http-driver.js';
export { loadScanOrSearch, loadSearch, resolveSearch } from './load-search.js';
export { type Evaluate, type LocalDriver, localDriver } from './local-driver.js';
export { queueDriver, type SearchQueue } from './queue-driver.js';
export {
  type Budget,
  checkSearch,
  isBetter,
  type Objective,
  objectiveValue,
  type ResolvedSearch,
  type Search,
  type Strategy,
  type Told,
} from './search.js';
export type { Range, Space } from './space.js';
export { type GridRefinementOptions, gridRefinement } from './strategies/grid-refinement.js';
export { type RandomSearchOptions, randomSearch } from './strategies/random.js';
export {
  halvingRungs,
  type SuccessiveHalvingOptions,
  successiveHalving,
} from './strategies/successive-halving.js';
