import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { isBottleError } from '@bottle/protocol';
import {
  freePort,
  generateSshKey,
  makeTempDir,
  type SshdFixture,
  startSshAgent,
  startSshd,
} from '@bottle/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTunnel, type SshTunnel, type TunnelOptions } from '../src/ssh/tunnel.js';

let sshd: SshdFixture;
let web: Server;
let webPort: number;
let home: string;
let removeHome: () => void;
const tunnels: SshTunnel[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  web = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    web.close(() => resolve());
    web.closeAllConnections();
  });
  await sshd?.stop();
});

beforeEach(() => {
  const dir = makeTempDir('bottle-home-');
  home = dir.path;
  removeHome = dir.remove;
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
});

afterEach(async () => {
  await Promise.all(tunnels.splice(0).map((t) => t.close()));
  removeHome();
});

const knownHosts = () => join(home, '.ssh', 'known_hosts');
const trustServer = () => writeFileSync(knownHosts(), `${sshd.knownHostsLine()}\n`);

async function open(extra: Partial<TunnelOptions> = {}): Promise<SshTunnel> {
  const tunnel = await openTunnel({
    target: `${sshd.user}@127.0.0.1:${sshd.port}`,
    identity: sshd.clientKeyPath,
    homeDir: home,
    localPort: 0,
    remoteHost: '127.0.0.1',
    remotePort: webPort,
    ...extra,
  });
  tunnels.push(tunnel);
  return tunnel;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('openTunnel', () => {
  it('forwards HTTP requests to the remote port, several at once', async () => {
    trustServer();
    const tunnel = await open();
    expect(tunnel.localUrl).toBe(`http://127.0.0.1:${tunnel.localPort}`);
    expect(tunnel.localPort).toBeGreaterThan(0);
    const bodies = await Promise.all(
      ['/a', '/b', '/c'].map((path) => fetch(`${tunnel.localUrl}${path}`).then((r) => r.text())),
    );
    expect(bodies).toEqual(['hello /a', 'hello /b', 'hello /c']);
  });

  it('refuses an unknown host with its fingerprint, records it with acceptNewHostKey, then trusts it', async () => {
    const error = await rejection(open());
    expect(isBottleError(error, 'ERR_SSH_HOST_KEY_UNKNOWN')).toBe(true);
    const expectedPrint = sshKeygenFingerprint(sshd.hostKeyPub);
    expect(error.message).toContain(expectedPrint);
    expect(error.message).toContain('ssh-ed25519');

    const accepted = await open({ acceptNewHostKey: true });
    expect(await fetch(`${accepted.localUrl}/x`).then((r) => r.text())).toBe('hello /x');
    expect(readFileSync(knownHosts(), 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
    await accepted.close();

    const again = await open();
    expect(await fetch(`${again.localUrl}/y`).then((r) => r.text())).toBe('hello /y');
  });

  it('refuses a changed host key, even with acceptNewHostKey', async () => {
    const other = generateSshKey(join(home, 'other_host'));
    const [type, blob] = other.split(' ');
    writeFileSync(knownHosts(), `# old entry\n[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    const error = await rejection(open({ acceptNewHostKey: true }));
    expect(isBottleError(error, 'ERR_SSH_HOST_KEY_CHANGED')).toBe(true);
    expect(error.message).toContain(sshKeygenFingerprint(sshd.hostKeyPub));
    expect(error.message).toContain(':2');
    // Nothing was recorded.
    expect(readFileSync(knownHosts(), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('accepts a hashed known_hosts entry', async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(`[127.0.0.1]:${sshd.port}`).digest('base64');
    const [type, blob] = sshd.hostKeyPub.split(' ');
    writeFileSync(knownHosts(), `|1|${salt.toString('base64')}|${hash} ${type} ${blob}\n`);
    const tunnel = await open();
    expect(await fetch(`${tunnel.localUrl}/h`).then((r) => r.text())).toBe('hello /h');
  });

  it('authenticates with ssh-agent', async () => {
    trustServer();
    const agentKey = join(home, 'agent_key');
    sshd.authorize(generateSshKey(agentKey, { comment: 'agent-key' }));
    const agent = await startSshAgent(home, [agentKey]);
    try {
      // No identity option: only the agent holds an authorized key.
      const tunnel = await open({ identity: undefined, agent: agent.sock });
      expect(await fetch(`${tunnel.localUrl}/agent`).then((r) => r.text())).toBe('hello /agent');
    } finally {
      await Promise.all(tunnels.splice(0).map((t) => t.close()));
      await agent.stop();
    }
  });

  it('takes HostName, Port, User and IdentityFile from an ~/.ssh/config alias', async () => {
    trustServer();
    copyFileSync(sshd.clientKeyPath, join(home, '.ssh', 'lab_key'));
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host lab\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ~/.ssh/lab_key\n`,
    );
    const tunnel = await open({ target: 'lab', identity: undefined });
    expect(await fetch(`${tunnel.localUrl}/alias`).then((r) => r.text())).toBe('hello /alias');
  });

  it('uses an encrypted key with its passphrase from askPassphrase', async () => {
    trustServer();
    const keyPath = join(home, '.ssh', 'id_ed25519');
    sshd.authorize(generateSshKey(keyPath, { passphrase: 'open sesame' }));
    const asked: string[] = [];
    const tunnel = await open({
      identity: undefined,
      askPassphrase: async (path) => {
        asked.push(path);
        return 'open sesame';
      },
    });
    expect(asked).toEqual([keyPath]);
    expect(await fetch(`${tunnel.localUrl}/enc`).then((r) => r.text())).toBe('hello /enc');
  });

  it('says which methods and keys were tried when authentication fails', async () => {
    trustServer();
    const stranger = join(home, 'stranger');
    generateSshKey(stranger);
    const missingAgent = join(home, 'no-agent.sock');
    const error = await rejection(open({ identity: stranger, agent: missingAgent }));
    expect(isBottleError(error, 'ERR_SSH_AUTH')).toBe(true);
    expect(error.message).toContain(`ssh-agent at ${missingAgent} (socket missing, skipped)`);
    expect(error.message).toContain(`key ${stranger}`);
  });

  it('closes the local socket and warns once when the SSH host cannot reach the remote port', async () => {
    trustServer();
    const warnings: string[] = [];
    const closed = await freePort();
    const logger = { info: () => {}, warn: (message: string) => warnings.push(message), error: () => {} };
    const tunnel = await open({ remotePort: closed, logger });
    await expect(fetch(`${tunnel.localUrl}/a`)).rejects.toThrow();
    await expect(fetch(`${tunnel.localUrl}/b`)).rejects.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`refused to connect to 127.0.0.1:${closed}`);
  });

  it('gives way to a free port when the local one is taken by another program, and reports a closed SSH port as ERR_SSH_CONNECT', async () => {
    trustServer();
    // Not a bottle server behind this port: the tunnel cannot be shared, so it takes another.
    const blocker = createNetServer((socket) => {
      socket.resume(); // reads, so that the probe's close closes this side too
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    });
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const tunnel = await open({ localPort: taken });
      expect(tunnel.localPort).not.toBe(taken);
      expect(tunnel.localPort).toBeGreaterThan(0);
      expect(tunnel.shared).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    // The closed port: the one the blocker just released.
    const refused = await rejection(open({ target: `127.0.0.1:${taken}` }));
    expect(isBottleError(refused, 'ERR_SSH_CONNECT')).toBe(true);
  });
});

/** The fingerprint as `ssh-keygen -lf` prints it, computed independently of the library. */
function sshKeygenFingerprint(pubLine: string): string {
  const file = join(home, 'fp.pub');
  writeFileSync(file, `${pubLine}\n`);
  const output = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' });
  return output.split(' ')[1] as string;
}
