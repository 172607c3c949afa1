/**
 * `@bottle/worker/task`: what a task module and a scan loader need, and nothing else. Importing it
 * loads neither the HTTP client (got) nor SSH (ssh2), and jiti or the YAML parser only when a
 * TypeScript module or a YAML sweep file is actually loaded, so that a task process and
 * `bottle-server -p` stay light.
 */

export { moduleExtensions, type ResolvedModuleSpec, resolveModuleSpec } from './module-spec.js';
export { type LoadedScan, type LoadScanOptions, loadScan, sweepScan } from './scan.js';
export {
  currentTaskContext,
  defineTask,
  TaskBase,
  type TaskContext,
  type TaskDefinition,
} from './task-base.js';
