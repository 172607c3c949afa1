import { BottleError } from '@bottle/protocol';
// ssh2 is CommonJS: Node's ESM loader gives it a default export only.
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import type { SshLog } from './_log.js';
import { planAuthentication } from './auth.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  type KnownHostsEntry,
  keyTypeOf,
  knownKeyTypes,
  readKnownHosts,
} from './known-hosts.js';
import { type SshConnectOptions, sshConnectDefaults } from './options.js';
import type { ResolvedTarget } from './target.js';

/** Host key algorithms to offer first for each key type known_hosts holds (ssh does the same). */
const algorithmsForKeyType: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256'],
};

/**
 * Opens one authenticated SSH connection: host key checked against known_hosts, then the
 * authentication plan. Rejects with ERR_SSH_CONNECT, ERR_SSH_AUTH or ERR_SSH_HOST_KEY_*.
 */
export async function connectSsh(
  target: ResolvedTarget,
  options: SshConnectOptions,
  log: SshLog,
): Promise<Client> {
  const where = `${target.user}@${target.host}:${target.port}`;
  // The config's `StrictHostKeyChecking accept-new` counts too: both only ever add new keys.
  const acceptNew =
    (options.acceptNewHostKey ?? sshConnectDefaults.acceptNewHostKey) || target.configAcceptNew;
  const known = readKnownHosts(target.knownHostsPath);
  let hostKeyError: BottleError | undefined;

  const hostVerifier = (key: Buffer): boolean => {
    hostKeyError = verifyHostKey(known, target, key, acceptNew, log);
    return hostKeyError === undefined;
  };
  const auth = planAuthentication(target, options, log);
  const preferred = knownKeyTypes(known, target.hostKeyName).flatMap(
    (type) => algorithmsForKeyType[type] ?? [],
  );
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    hostVerifier,
    authHandler: auth.handler,
    readyTimeout: options.readyTimeoutMs ?? sshConnectDefaults.readyTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs ?? sshConnectDefaults.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax ?? sshConnectDefaults.keepaliveCountMax,
    ...(preferred.length > 0
      ? { algorithms: { serverHostKey: { prepend: preferred } } as ConnectConfig['algorithms'] }
      : {}),
  };

  const client = new ssh2.Client();
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: BottleError) => {
      if (settled) return;
      settled = true;
      client.removeListener('ready', onReady);
      client.end();
      reject(error);
    };
    const onReady = () => {
      settled = true;
      client.removeListener('error', onError);
      // Callers add their own listeners; until then a late error must not crash the process.
      client.on('error', (error) => log.debug(`connection error (${where}): ${error.message}`));
      client.removeListener('close', onClose);
      log.debug(`connected to ${where}`);
      resolve(client);
    };
    const onError = (error: Error & { level?: string }) => {
      if (hostKeyError) return fail(hostKeyError);
      // The agent failing (gone, refusing to sign) is one failed method, not a failed connection.
      if (error.level === 'agent') {
        auth.tried.push(`(agent error: ${error.message})`);
        return;
      }
      if (error.level === 'client-authentication') {
        return fail(
          new BottleError(
            'ERR_SSH_AUTH',
            `SSH authentication to ${where} failed (${error.message}). Tried: ${auth.tried.join('; ') || 'nothing'}. ` +
              'Load a key into ssh-agent, or pass an identity file (and its passphrase).',
            { cause: error, details: { tried: [...auth.tried] } },
          ),
        );
      }
      const reason = error.level === 'client-timeout' ? 'timed out during the handshake' : error.message;
      fail(
        new BottleError(
          'ERR_SSH_CONNECT',
          `Cannot connect to SSH server ${where} (${options.target}): ${reason}.`,
          {
            cause: error,
          },
        ),
      );
    };
    const onClose = () => {
      fail(
        hostKeyError ??
          new BottleError(
            'ERR_SSH_CONNECT',
            `SSH server ${where} closed the connection during the handshake.`,
          ),
      );
    };
    client.on('ready', onReady).on('error', onError).on('close', onClose);
    try {
      client.connect(config);
    } catch (error) {
      fail(
        new BottleError('ERR_SSH_CONNECT', `Cannot connect to ${where}: ${(error as Error).message}`, {
          cause: error,
        }),
      );
      return;
    }
    // Without this each round trip waits for delayed ACKs: ~200 ms instead of ~35 ms per handshake.
    (client as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  });
}

function verifyHostKey(
  known: KnownHostsEntry[],
  target: ResolvedTarget,
  key: Buffer,
  acceptNew: boolean,
  log: SshLog,
): BottleError | undefined {
  const verdict = checkHostKey(known, target.hostKeyName, key);
  const type = keyTypeOf(key);
  const print = fingerprint(key);
  const file = target.knownHostsPath;
  if (known.some((e) => e.marker === 'cert-authority')) {
    log.debug('known_hosts @cert-authority lines are ignored (host certificates are not supported)');
  }
  switch (verdict.status) {
    case 'known':
      return undefined;
    case 'revoked':
      return new BottleError(
        'ERR_SSH_HOST_KEY_CHANGED',
        `The ${type} host key of ${target.hostKeyName} is marked @revoked in ${file}:${verdict.entry.line} ` +
          `(${print}). Refusing to connect.`,
        { details: { fingerprint: print, keyType: type, line: verdict.entry.line } },
      );
    case 'changed':
      return new BottleError(
        'ERR_SSH_HOST_KEY_CHANGED',
        `WARNING: the ${type} host key of ${target.hostKeyName} has changed: it presents ${print}, ` +
          `which differs from ${file}:${verdict.entry.line}. Someone could be eavesdropping, or the host was reinstalled. ` +
          `Refusing to connect; if you know why it changed, remove the old entry (ssh-keygen -R '${target.hostKeyName}' -f ${file}).`,
        { details: { fingerprint: print, keyType: type, line: verdict.entry.line } },
      );
    case 'unknown': {
      if (acceptNew) {
        appendKnownHost(file, target.hostKeyName, key);
        log.info(`permanently added ${target.hostKeyName} (${type} ${print}) to ${file}`);
        return undefined;
      }
      const others = verdict.otherTypes.length
        ? ` known_hosts holds other key types for this host (${verdict.otherTypes.join(', ')}).`
        : '';
      return new BottleError(
        'ERR_SSH_HOST_KEY_UNKNOWN',
        `The authenticity of host ${target.hostKeyName} can't be established. ${type} key fingerprint is ${print}.${others} ` +
          `Check it with the host's administrator (ssh-keygen -lf on the host key), then rerun with --accept-new-host-key ` +
          `(StrictHostKeyChecking=accept-new) to record it in ${file}.`,
        { details: { fingerprint: print, keyType: type } },
      );
    }
  }
}
