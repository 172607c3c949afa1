import type { BottleLogger } from '@bottle/protocol';

/** What every SSH entry point (tunnel, remote launch) needs to connect and authenticate. */
export interface SshConnectOptions {
  /** `host`, `user@host`, `user@host:port`, or a `Host` alias from the ssh config. */
  target: string;
  /** Login name; overrides the target's and the config's. */
  user?: string;
  /** SSH port; overrides the target's and the config's. */
  port?: number;
  /** Private key file(s) tried right after the agent, before the config's IdentityFile (like `ssh -i`). */
  identity?: string | string[];
  /** Passphrase for encrypted keys (the CLI reads BOTTLE_SSH_PASSPHRASE). */
  passphrase?: string;
  /** Asked for an encrypted key's passphrase when `passphrase` is not given; undefined skips the key. */
  askPassphrase?: (keyPath: string) => Promise<string | undefined>;
  /** ssh-agent socket (the caller passes SSH_AUTH_SOCK); the agent is tried first. */
  agent?: string;
  /** Record an unknown host key in known_hosts (StrictHostKeyChecking=accept-new). Never a changed one. */
  acceptNewHostKey?: boolean;
  /** Default `<homeDir>/.ssh/known_hosts` (or the config's UserKnownHostsFile). */
  knownHostsPath?: string;
  /** Default `<homeDir>/.ssh/config`; a missing file is fine. */
  sshConfigPath?: string;
  /** Where `~` points; default os.homedir(). */
  homeDir?: string;
  /** SSH keepalive period; a link silent for keepaliveCountMax periods counts as dead. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Handshake and authentication must finish within this time. */
  readyTimeoutMs?: number;
  /** Where connection messages go, besides `DEBUG=bottle:ssh`. */
  logger?: BottleLogger;
}

export const sshConnectDefaults = {
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  readyTimeoutMs: 20_000,
  acceptNewHostKey: false,
} satisfies Partial<SshConnectOptions>;
