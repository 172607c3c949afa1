/**
 * `@bottle/worker/ssh`: reaching a server through SSH (`bottle-worker -t`) and starting workers on
 * other machines (`bottle launch`). Only what uses SSH loads ssh2.
 */
export { type HostsFile, parseHostsFile, type RemoteHost } from './hosts-file.js';
export {
  type LaunchedHost,
  type LaunchOptions,
  launchDefaults,
  launchRemoteWorkers,
  type RemoteLaunch,
} from './launch.js';
export { type SshConnectOptions, sshConnectDefaults } from './options.js';
export {
  openTunnel,
  type ReconnectOptions,
  type SshTunnel,
  type SshTunnelEvents,
  type TunnelOptions,
  tunnelDefaults,
} from './tunnel.js';
