export { describeEvent } from './events/describe.js';
export {
  createEventLog,
  type EventLog,
  type EventLogOptions,
  type LogFormat,
  type LogLevel,
  logFormats,
  logLevels,
} from './events/log.js';
export type { ServerEvent, ServerEventListener, ServerEventType } from './events/types.js';
export { listGathered, listOutputFiles, type OutputFile, openOutputFile } from './gather/files.js';
export {
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_MAX_UPLOAD_ENTRIES,
  type ReceiveOutputOptions,
  type ReceiveOutputResult,
  receiveOutput,
} from './gather/receive.js';
export { recoverGatherDir } from './gather/recover.js';
export { streamOutput } from './gather/stream.js';
export { type BottleLogger, type BottleRouterOptions, routerDefaults } from './http/options.js';
export { type BottleRouter, createBottleRouter } from './http/router.js';
export { isPostgresUrl, redactUrl } from './postgres/_url.js';
export { PostgresStore, type PostgresStoreOptions, postgresStoreDefaults } from './postgres/store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export {
  type BottleServer,
  type BottleServerOptions,
  serverDefaults,
  startBottleServer,
} from './standalone.js';
export { defaultQueuePolicy, type QueuePolicy, resolveQueuePolicy } from './store/policy.js';
export type { ExpiryResult, LegacyClaimant, ListTasksFilter, Store } from './store/store.js';
