import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2, {
  type AuthenticationType,
  type AuthHandlerMiddleware,
  type NextAuthHandler,
  type ParsedKey,
} from 'ssh2';
import type { SshLog } from './_log.js';
import type { ResolvedTarget } from './target.js';

/** The default keys ssh tries when no IdentityFile is configured, in ssh's order. */
export const defaultIdentityNames = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** One line per method or key tried or skipped, for the ERR_SSH_AUTH message. */
  tried: string[];
}

/**
 * ssh's order: the agent, then the explicit and configured identity files; the default
 * ~/.ssh/id_* keys only when none is configured. Encrypted keys take `passphrase` or ask for one.
 */
export function planAuthentication(
  target: ResolvedTarget,
  secrets: { passphrase?: string; askPassphrase?: (keyPath: string) => Promise<string | undefined> },
  log: SshLog,
): AuthPlan {
  const tried: string[] = [];
  const steps: Array<{ kind: 'agent'; sock: string } | { kind: 'key'; path: string }> = [];
  if (target.agent) steps.push({ kind: 'agent', sock: target.agent });
  const keys =
    target.identityFiles.length > 0
      ? target.identityFiles
      : defaultIdentityNames
          .map((name) => join(target.homeDir, '.ssh', name))
          .filter((path) => existsSync(path));
  for (const path of keys) steps.push({ kind: 'key', path });
  if (steps.length === 0)
    tried.push(`no agent and no key (looked for ~/.ssh/${defaultIdentityNames.join(', ')})`);

  let next = 0;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, callback: NextAuthHandler) => {
    const done = callback as (method: Parameters<NextAuthHandler>[0] | false) => void;
    void (async () => {
      // ssh2 passes null before the first attempt, then the server's remaining methods.
      const left = methodsLeft as AuthenticationType[] | null;
      if (left && !left.includes('publickey')) {
        tried.push(`server offers only: ${left.join(', ')}`);
        return done(false);
      }
      while (next < steps.length) {
        const step = steps[next++] as (typeof steps)[number];
        if (step.kind === 'agent') {
          if (!existsSync(step.sock)) {
            tried.push(`ssh-agent at ${step.sock} (socket missing, skipped)`);
            continue;
          }
          tried.push(`ssh-agent at ${step.sock}`);
          log.debug(`auth: trying the agent at ${step.sock}`);
          return done({ type: 'agent', username: target.user, agent: step.sock });
        }
        const method = await loadKey(step.path, secrets, tried);
        if (!method) continue;
        log.debug(`auth: trying key ${step.path}`);
        return done({ type: 'publickey', username: target.user, ...method });
      }
      return done(false);
    })().catch((error: unknown) => {
      tried.push(`stopped: ${(error as Error).message}`);
      done(false);
    });
  };
  return { handler, tried };
}

async function loadKey(
  path: string,
  secrets: { passphrase?: string; askPassphrase?: (keyPath: string) => Promise<string | undefined> },
  tried: string[],
): Promise<{ key: Buffer | ParsedKey } | undefined> {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    tried.push(
      `key ${path} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'unreadable'})`,
    );
    return undefined;
  }
  const plain = ssh2.utils.parseKey(data);
  if (!(plain instanceof Error)) {
    tried.push(`key ${path}`);
    return { key: data };
  }
  if (!/passphrase|encrypted/i.test(plain.message)) {
    tried.push(`key ${path} (not a private key: ${plain.message})`);
    return undefined;
  }
  const passphrase = secrets.passphrase ?? (await secrets.askPassphrase?.(path));
  if (passphrase === undefined) {
    tried.push(`key ${path} (encrypted, no passphrase given)`);
    return undefined;
  }
  // Handing ssh2 the decrypted key spares a second (slow, bcrypt) decryption.
  const decrypted = ssh2.utils.parseKey(data, passphrase);
  if (decrypted instanceof Error) {
    tried.push(`key ${path} (wrong passphrase)`);
    return undefined;
  }
  tried.push(`key ${path}`);
  return { key: decrypted };
}
