export { type ChildHandle, spawnChild } from './child.js';
export { freePort, makeTempDir, waitFor } from './misc.js';
export { generateSshKey, type SshdFixture, startSshAgent, startSshd } from './sshd.js';
