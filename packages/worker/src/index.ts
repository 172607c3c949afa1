export type { SubmitAllOptions, SubmitAllResult } from './client/_submit-all.js';
export { BottleClient, type BottleClientOptions, clientDefaults } from './client/client.js';
export {
  type CommandTask,
  type CommandTaskFile,
  findTaskFile,
  loadTaskFile,
  taskFileNames,
} from './command/task-file.js';
export { type FormatOptions, formatRows, type ResultFormat, resultFormats } from './gather/format.js';
export { readLocalResults } from './gather/local-results.js';
export { type PackedOutput, type PackResult, packOutput } from './gather/pack.js';
export {
  type GatherOutputsOptions,
  gatherOutputs,
  type OutputsClient,
  type ResultsClient,
  serverResultRows,
} from './gather/remote.js';
export {
  columnsOf,
  fixedColumns,
  type ResultRow,
  type ResultRowsOptions,
  type RowSource,
  resultRows,
  rowsFromSources,
} from './gather/results.js';
export {
  type RemoteFile,
  type RemoteOutput,
  type SyncOutputsOptions,
  type SyncProgress,
  syncOutputs,
} from './gather/sync.js';
export {
  isRetryableUploadError,
  type UploadClient,
  type UploadOutcome,
  type UploadTaskOutputOptions,
  uploadTaskOutput,
} from './gather/upload.js';
export type { TaskStatusFile } from './runner/messages.js';
export { type Isolation, isolations } from './runner/runner.js';
export { type HostsFile, parseHostsFile, type RemoteHost } from './ssh/hosts-file.js';
export { fingerprint as sshFingerprint } from './ssh/known-hosts.js';
export {
  type LaunchedHost,
  type LaunchOptions,
  launchDefaults,
  launchRemoteWorkers,
  type RemoteLaunch,
} from './ssh/launch.js';
export { type SshConnectOptions, type SshLogger, sshConnectDefaults } from './ssh/options.js';
export {
  openTunnel,
  type ReconnectOptions,
  type SshTunnel,
  type SshTunnelEvents,
  type TunnelOptions,
  tunnelDefaults,
} from './ssh/tunnel.js';
export { type LoadedTaskModule, loadTaskModule } from './task/load-module.js';
export { moduleExtensions, type ResolvedModuleSpec, resolveModuleSpec } from './task/module-spec.js';
export { type LoadedScan, type LoadScanOptions, loadScan } from './task/scan.js';
export {
  currentTaskContext,
  defineTask,
  TaskBase,
  type TaskContext,
  type TaskDefinition,
} from './task/task-base.js';
export { Worker } from './worker.js';
export type { TaskEndInfo, WorkerEvents, WorkerSummary } from './worker-events.js';
export { type WorkerLogger, type WorkerOptions, workerDefaults } from './worker-options.js';
