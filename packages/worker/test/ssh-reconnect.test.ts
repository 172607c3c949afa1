import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { isBottleError } from '@bottle/protocol';
import { makeTempDir, type SshdFixture, startSshd, waitFor } from '@bottle/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTunnel, type SshTunnel } from '../src/ssh/tunnel.js';

let sshd: SshdFixture;
let web: Server;
let webPort: number;
let home: string;
let tunnel: SshTunnel | undefined;

beforeEach(async () => {
  sshd = await startSshd();
  web = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as { port: number }).port;
  home = makeTempDir('bottle-home-').path;
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
});

afterEach(async () => {
  await tunnel?.close();
  tunnel = undefined;
  await new Promise<void>((resolve) => {
    web.close(() => resolve());
    web.closeAllConnections();
  });
  await sshd.stop();
});

const get = (path: string) => fetch(`${tunnel?.localUrl}${path}`).then((r) => r.text());

describe('tunnel reconnection', () => {
  it('reconnects after sshd is killed -9 and restarted; a request made during the outage waits', async () => {
    tunnel = await openTunnel({
      target: `127.0.0.1:${sshd.port}`,
      identity: sshd.clientKeyPath,
      homeDir: home,
      localPort: 0,
      remoteHost: '127.0.0.1',
      remotePort: webPort,
      keepaliveIntervalMs: 500,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    });
    const events: string[] = [];
    tunnel.on('tunnel.disconnected', () => events.push('disconnected'));
    tunnel.on('tunnel.reconnecting', () => events.push('reconnecting'));
    tunnel.on('tunnel.connected', () => events.push('connected'));
    const port = tunnel.localPort;
    expect(await get('/before')).toBe('hello /before');

    await sshd.kill9();
    await waitFor(() => events.includes('disconnected'), { what: 'the tunnel to notice the drop' });
    await waitFor(() => events.filter((e) => e === 'reconnecting').length >= 2, {
      what: 'failed reconnect attempts',
    });
    expect(tunnel.connected).toBe(false);
    const during = get('/during');

    await sshd.restart();
    await waitFor(() => events.includes('connected'), { what: 'the tunnel to reconnect' });
    expect(await during).toBe('hello /during');
    expect(await get('/after')).toBe('hello /after');
    // The local listener never moved.
    expect(tunnel.localPort).toBe(port);
    expect(tunnel.connected).toBe(true);
  });

  it('gives up after maxAttempts and then fails local sockets cleanly', async () => {
    tunnel = await openTunnel({
      target: `127.0.0.1:${sshd.port}`,
      identity: sshd.clientKeyPath,
      homeDir: home,
      localPort: 0,
      remoteHost: '127.0.0.1',
      remotePort: webPort,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 2 },
    });
    const errors: Error[] = [];
    tunnel.on('tunnel.failed', (error) => errors.push(error));
    await sshd.kill9();
    await waitFor(() => errors.length > 0, { what: 'the tunnel to give up' });
    expect(isBottleError(errors[0], 'ERR_SSH_CONNECT')).toBe(true);
    expect(errors[0]?.message).toContain('after 2 attempts');
    await expect(get('/late')).rejects.toThrow();
    await sshd.restart();
  });
});
