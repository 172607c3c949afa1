/**
 * `@bottle/worker/gather`: outputs gathered by a server (`bottle gather`) and results tables
 * (`bottle results`), from a server or from a gathered folder. The Worker's own upload of a task's
 * output is not here: it needs none of this.
 */
export { type FormatOptions, formatRows, type ResultFormat, resultFormats } from './format.js';
export { readLocalResults } from './local-results.js';
export { type PackedOutput, type PackResult, packOutput } from './pack.js';
export {
  type GatherOutputsOptions,
  gatherOutputs,
  type OutputsClient,
  type ResultsClient,
  serverResultRows,
} from './remote.js';
export { type ResultRow, type ResultRowsOptions, resultRows } from './results.js';
export {
  type RemoteFile,
  type RemoteOutput,
  type SyncOutputsOptions,
  type SyncProgress,
  syncOutputs,
} from './sync.js';
