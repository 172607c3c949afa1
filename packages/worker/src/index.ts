export type { BottleLogger, SubmitAllOptions, SubmitAllResult } from '@bottle/protocol';
export { BottleClient, type BottleClientOptions, clientDefaults } from './client/client.js';
export { type Isolation, isolations } from './runner/runner.js';
export { type LoadedTaskModule, loadTaskModule } from './task/load-module.js';
export { moduleExtensions, type ResolvedModuleSpec, resolveModuleSpec } from './task/module-spec.js';
export { type LoadedScan, type LoadScanOptions, loadScan, sweepScan } from './task/scan.js';
export {
  currentTaskContext,
  defineTask,
  TaskBase,
  type TaskContext,
  type TaskDefinition,
} from './task/task-base.js';
export { Worker } from './worker.js';
export type { TaskEndInfo, WorkerEvents, WorkerSummary } from './worker-events.js';
export { detectedResources, type WorkerOptions, workerDefaults } from './worker-options.js';
