import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BottleError } from '@bottle/protocol';
import SSHConfig from 'ssh-config';
import type { SshConnectOptions } from './options.js';

/** Where and as whom to connect, after the target string and ~/.ssh/config were applied. */
export interface ResolvedTarget {
  /** What the user wrote (for messages). */
  target: string;
  /** The address to dial (config HostName). */
  host: string;
  port: number;
  user: string;
  /** The name looked up in known_hosts: `host`, or `[host]:port` when port != 22 (HostKeyAlias wins). */
  hostKeyName: string;
  /** Explicit keys first (options.identity), then the config's IdentityFile, `~` expanded. */
  identityFiles: string[];
  /** The agent socket to use, or undefined for none (IdentityAgent none, IdentitiesOnly yes). */
  agent: string | undefined;
  /** The config asks for keys only from IdentityFile (IdentitiesOnly yes). */
  identitiesOnly: boolean;
  knownHostsPath: string;
  /** StrictHostKeyChecking accept-new in the config. */
  configAcceptNew: boolean;
  homeDir: string;
}

/** Splits `user@host:port` (also `[v6addr]:port`); no part is required but the host. */
export function parseTarget(target: string): { user?: string; host: string; port?: number } {
  const at = target.lastIndexOf('@');
  const user = at > 0 ? target.slice(0, at) : undefined;
  let rest = at >= 0 ? target.slice(at + 1) : target;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1] as string;
    port = bracketed[2] ? Number(bracketed[2]) : undefined;
  } else if (/^[^:]+:\d+$/.test(rest)) {
    const colon = rest.lastIndexOf(':');
    port = Number(rest.slice(colon + 1));
    rest = rest.slice(0, colon);
  }
  if (!rest || /\s/.test(rest)) {
    throw new BottleError(
      'ERR_SSH_CONNECT',
      `Bad SSH target '${target}': use host, user@host or user@host:port.`,
    );
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new BottleError('ERR_SSH_CONNECT', `Bad port in SSH target '${target}'.`);
  }
  return { ...(user ? { user } : {}), host: rest, ...(port !== undefined ? { port } : {}) };
}

/** Applies the target string, the ssh config (HostName, User, Port, IdentityFile, …) and the options. */
export function resolveTarget(options: SshConnectOptions): ResolvedTarget {
  const homeDir = options.homeDir ?? homedir();
  const parsed = parseTarget(options.target);
  const config = readSshConfig(options.sshConfigPath ?? join(homeDir, '.ssh', 'config'));
  // Match exec is not run: computing a target must not start shell commands.
  const computed = config
    ? config.compute(
        { Host: parsed.host, ...(parsed.user ? { User: parsed.user } : {}) },
        { ignoreCase: true, matchExec: false },
      )
    : {};
  const get = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const all = (key: string): string[] => {
    const value = computed[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };

  const localUser = userInfo().username;
  const host = (get('hostname') ?? parsed.host).replaceAll('%h', parsed.host);
  const user = options.user ?? parsed.user ?? get('user') ?? localUser;
  const port = options.port ?? parsed.port ?? (get('port') ? Number(get('port')) : 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BottleError('ERR_SSH_CONNECT', `Bad SSH port ${port} for '${options.target}'.`);
  }
  const expand = (path: string) => expandPath(path, { homeDir, localUser, user, host, port });
  const explicit = options.identity === undefined ? [] : [options.identity].flat();
  const identityFiles = unique([...explicit, ...all('identityfile')].map(expand));

  const identitiesOnly = get('identitiesonly')?.toLowerCase() === 'yes';
  const identityAgent = get('identityagent');
  let agent = options.agent;
  if (identitiesOnly || identityAgent?.toLowerCase() === 'none') agent = undefined;
  else if (identityAgent && identityAgent !== 'SSH_AUTH_SOCK') agent = expand(identityAgent);

  const alias = get('hostkeyalias');
  const knownHostsFile = get('userknownhostsfile')?.split(/\s+/)[0];
  return {
    target: options.target,
    host,
    port,
    user,
    hostKeyName: (alias ?? (port === 22 ? host : `[${host}]:${port}`)).toLowerCase(),
    identityFiles,
    agent,
    identitiesOnly,
    knownHostsPath:
      options.knownHostsPath ??
      (knownHostsFile ? expand(knownHostsFile) : join(homeDir, '.ssh', 'known_hosts')),
    configAcceptNew: get('stricthostkeychecking')?.toLowerCase() === 'accept-new',
    homeDir,
  };
}

function readSshConfig(path: string): SSHConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return SSHConfig.parse(text);
  } catch (error) {
    throw new BottleError(
      'ERR_SSH_CONNECT',
      `Cannot parse the ssh config ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** `~` and the ssh_config tokens %d %u %r %h %p %%. */
export function expandPath(
  path: string,
  ctx: { homeDir: string; localUser: string; user: string; host: string; port: number },
): string {
  let out = path.replace(/%([durhp%])/g, (_, token: string) =>
    token === 'd'
      ? ctx.homeDir
      : token === 'u'
        ? ctx.localUser
        : token === 'r'
          ? ctx.user
          : token === 'h'
            ? ctx.host
            : token === 'p'
              ? String(ctx.port)
              : '%',
  );
  if (out === '~') out = ctx.homeDir;
  else if (out.startsWith('~/')) out = join(ctx.homeDir, out.slice(2));
  // Relative paths stay relative to the working directory, as with ssh -i.
  return out;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
