import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './misc.js';

/**
 * A private OpenSSH server on 127.0.0.1 for tests (see /work/shared/ssh-recipe.md):
 * generated host and client keys in a temporary directory, key authentication only.
 */
export interface SshdFixture {
  readonly dir: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The login name: the user the tests run as. */
  readonly user: string;
  readonly configPath: string;
  /** `ssh-ed25519 AAAA… test-host`: the public host key. */
  readonly hostKeyPub: string;
  /** A private key listed in authorized_keys (no passphrase). */
  readonly clientKeyPath: string;
  /** What sshd printed so far (LogLevel VERBOSE). */
  readonly log: string;
  /** The known_hosts line for this server: `[127.0.0.1]:port ssh-ed25519 AAAA…`. */
  knownHostsLine(): string;
  /** Appends a public key line to authorized_keys. */
  authorize(publicKeyLine: string): void;
  /** `kill -9` of the listener and of every per-connection sshd (and their sessions). */
  kill9(): Promise<void>;
  /** Starts sshd again with the same config, keys and port. */
  restart(): Promise<void>;
  /** SIGTERM to the listener, kill -9 of leftover sessions, removes the directory. */
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/** Generates an ed25519 key pair at `path` (and `path.pub`); with a passphrase if given. */
export function generateSshKey(
  path: string,
  options: { passphrase?: string; comment?: string } = {},
): string {
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    options.passphrase ?? '',
    '-C',
    options.comment ?? 'test',
    '-f',
    path,
  ]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** Starts sshd on 127.0.0.1 (a free port unless given) and waits until it listens. */
export async function startSshd(options: { port?: number } = {}): Promise<SshdFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bottle-sshd-'));
  const port = options.port ?? (await freePort());
  const hostKeyPub = generateSshKey(join(dir, 'host_ed25519'), { comment: 'test-host' });
  const clientKeyPath = join(dir, 'client_ed25519');
  writeFileSync(
    join(dir, 'authorized_keys'),
    `${generateSshKey(clientKeyPath, { comment: 'test-client' })}\n`,
  );
  const configPath = join(dir, 'sshd_config');
  writeFileSync(
    configPath,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  try {
    // Only OpenSSH >= 9.8 knows this option; failed logins in negative tests would otherwise penalise 127.0.0.1.
    execFileSync(SSHD, ['-t', '-f', configPath, '-o', 'PerSourcePenalties=no'], { stdio: 'ignore' });
    appendFileSync(configPath, 'PerSourcePenalties no\n');
  } catch {}
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  let log = '';
  const killTree = () => {
    for (const pid of child?.pid ? [child.pid, ...descendants(child.pid)] : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  };
  const onExit = () => {
    killTree();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const launch = async () => {
    const proc = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    const ready = `Server listening on 127.0.0.1 port ${port}`;
    const start = log.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd not ready after 10 s\n${log}`)), 10_000);
      proc.stderr?.setEncoding('utf8').on('data', (text: string) => {
        log += text;
        if (log.indexOf(ready, start) !== -1) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code ?? signal})\n${log}`));
      });
    });
  };
  const exited = (proc: ChildProcess) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  await launch();

  return {
    dir,
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    configPath,
    hostKeyPub,
    clientKeyPath,
    get log() {
      return log;
    },
    knownHostsLine: () => `[127.0.0.1]:${port} ${hostKeyPub.split(/\s+/).slice(0, 2).join(' ')}`,
    authorize: (line) => appendFileSync(join(dir, 'authorized_keys'), `${line.trim()}\n`),
    async kill9() {
      const proc = child;
      if (!proc) return;
      killTree();
      await exited(proc);
    },
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('sshd still runs');
      await launch();
    },
    async stop() {
      process.off('exit', onExit);
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const sessions = proc.pid ? descendants(proc.pid) : [];
        proc.kill('SIGTERM');
        await exited(proc);
        // Per-connection sshds call setsid() and outlive the listener's SIGTERM.
        for (const pid of sessions) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every descendant pid of `pid`, from `ps` (Linux and macOS). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
  for (const line of entries) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    parents.set(parent, [...(parents.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** An ssh-agent in the foreground (we own its pid) holding `keys`; `sock` is its SSH_AUTH_SOCK. */
export async function startSshAgent(
  dir: string,
  keys: string[],
): Promise<{ sock: string; stop: () => Promise<void> }> {
  const sock = join(dir, `agent-${process.pid}-${Date.now()}.sock`);
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  const kill = () => {
    try {
      agent.kill('SIGKILL');
    } catch {}
  };
  process.once('exit', kill);
  const deadline = Date.now() + 10_000;
  while (!existsSync(sock)) {
    if (Date.now() > deadline || agent.exitCode !== null)
      throw new Error('ssh-agent did not create its socket');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const key of keys)
    execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  return {
    sock,
    async stop() {
      process.off('exit', kill);
      if (agent.exitCode !== null || agent.signalCode !== null) return;
      const gone = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await gone;
    },
  };
}
