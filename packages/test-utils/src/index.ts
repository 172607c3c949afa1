export { type ChildHandle, spawnChild } from './child.js';
export { freePort, makeTempDir, waitFor } from './misc.js';
