export type { BottleLogger } from '@bottle/protocol';
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
export { type BottleRouterOptions, routerDefaults } from './http/options.js';
export { type BottleRouter, createBottleRouter } from './http/router.js';
export type { NotifyEvent } from './notify/payload.js';
export type { NotifyOptions } from './notify/webhooks.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export {
  type BottleServer,
  type BottleServerOptions,
  serverDefaults,
  startBottleServer,
} from './standalone.js';
export type { OwnedJob } from './store/owned-jobs.js';
export { defaultQueuePolicy, type QueuePolicy, resolveQueuePolicy } from './store/policy.js';
export type { ExpiryResult, LegacyClaimant, ListTasksFilter, Store } from './store/store.js';
