export { type ChildHandle, spawnChild } from './child.js';
export { ManualClock } from './clock.js';
export { type LoadRecorder, recordLoads } from './loads.js';
export { freePort, makeTempDir, waitFor } from './misc.js';
export {
  createTestDatabase,
  postgresAdminUrl,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
} from './postgres.js';
export { type SlurmFixture, slurmSkipReason, startSlurm } from './slurm.js';
export { generateSshKey, type SshdFixture, startSshAgent, startSshd } from './sshd.js';
export { type Delivery, startWebhookReceiver, type WebhookReceiver } from './webhooks.js';
