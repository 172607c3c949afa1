import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type SshdFixture, startSshd } from '@bottle/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';

const hasSshd = existsSync('/usr/sbin/sshd');
let sshd: SshdFixture;
let scene: Scene;

beforeAll(async () => {
  if (hasSshd) sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
afterEach(async () => {
  await scene?.close();
});

/** A HOME for the worker process: ~/.ssh with known_hosts (or not) and a config alias. */
function makeHome(scene: Scene, options: { knownHosts: boolean }): string {
  const home = join(scene.dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  if (options.knownHosts) writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
  writeFileSync(
    join(home, '.ssh', 'config'),
    [
      'Host bottle-lab',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${sshd.clientKeyPath}`,
      '',
    ].join('\n'),
  );
  return home;
}

describe.skipIf(!hasSshd)('bottle-worker HOST -t against a real sshd', () => {
  it('completes a sweep through the tunnel, reaching the host by its ~/.ssh/config alias', async () => {
    scene = new Scene();
    const home = makeHome(scene, { knownHosts: true });
    const server = await scene.server(['-p', 'sweep.small']);
    const port = new URL(server.url).port;
    const tunnelPort = await freePort();
    const worker = scene.worker(
      'bottle-lab',
      ['-t', '--local-port', String(tunnelPort), '--remote-port', port, '-x', '2'],
      { HOME: home },
    );
    expect(await worker.exited).toBe(0);
    expect(worker.stderr).toMatch(new RegExp(`tunnel open: http://127\\.0\\.0\\.1:${tunnelPort}`));
    expect(worker.stdout).toMatch(/5 done, 0 failed/);
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state)).toEqual(Array(5).fill('done'));
  });

  it('refuses an unknown host key, printing its fingerprint (exit 1); --accept-new-host-key records it', async () => {
    scene = new Scene();
    const home = makeHome(scene, { knownHosts: false });
    const server = await scene.server(['-p', 'sweep.small']);
    const args = [
      '-t',
      '--local-port',
      String(await freePort()),
      '--remote-port',
      new URL(server.url).port,
      '-x',
      '2',
    ];
    const target = `${sshd.user}@127.0.0.1:${sshd.port}`;
    const identity = ['--identity', sshd.clientKeyPath];

    const refused = scene.worker(target, [...args, ...identity], { HOME: home });
    expect(await refused.exited).toBe(1);
    expect(refused.stderr).toMatch(/ERR_SSH_HOST_KEY_UNKNOWN/);
    expect(refused.stderr).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(refused.stderr).toContain('--accept-new-host-key');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect((await allTasks(server.client)).every((task) => task.state === 'queued')).toBe(true);

    const accepted = scene.worker(target, [...args, ...identity, '--accept-new-host-key'], { HOME: home });
    expect(await accepted.exited).toBe(0);
    expect(accepted.stdout).toMatch(/5 done, 0 failed/);
    const knownHosts = readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8');
    expect(knownHosts).toContain(sshd.knownHostsLine());
  });
});

describe.skipIf(!hasSshd)('two -t workers on one machine, and a tunnel that gives up', () => {
  it('a second worker uses the tunnel port already forwarding to its server; for another server it takes a free port and says which', async () => {
    scene = new Scene();
    const home = makeHome(scene, { knownHosts: true });
    const server = await scene.server(['-p', 'sweep.small']);
    const tunnelPort = String(await freePort());
    const tunnelArgs = ['-t', '--local-port', tunnelPort, '--remote-port', new URL(server.url).port];
    const first = scene.worker('bottle-lab', [...tunnelArgs, '--retry-if-empty'], { HOME: home });
    await first.waitForOutput(/tunnel open/);

    const second = scene.worker('bottle-lab', tunnelArgs, { HOME: home });
    expect(await second.exited).toBe(0);
    expect(second.stderr).toContain(
      `tunnel open: http://127.0.0.1:${tunnelPort} -> bottle-lab localhost:${new URL(server.url).port} (a tunnel already open to that server)`,
    );

    // Another server (its own queue file) behind the same SSH host: the taken port is not it.
    const other = scene.spawn('bottle-server', ['--db', join(scene.dir, 'other.db'), '--port', '0']);
    const [, otherUrl] = await other.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/);
    const otherPort = new URL(otherUrl as string).port;
    // --tunnel-port: the former spelling of --local-port still works.
    const third = scene.worker(
      'bottle-lab',
      ['-t', '--tunnel-port', tunnelPort, '--remote-port', otherPort],
      {
        HOME: home,
      },
    );
    expect(await third.exited).toBe(0);
    const [, freeOne] = (third.stderr.match(/tunnel listens on 127\.0\.0\.1:(\d+) instead/) ??
      []) as string[];
    expect(freeOne).toBeDefined();
    expect(freeOne).not.toBe(tunnelPort);
    expect(third.stderr).toContain(`tunnel open: http://127.0.0.1:${freeOne} -> bottle-lab`);
    await first.stop();
  });

  it('a tunnel that gives up (a changed host key on reconnect) stops the worker with a clear error and exit 1', async () => {
    scene = new Scene();
    const own = await startSshd();
    scene.defer(() => own.stop());
    const home = join(scene.dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${own.knownHostsLine()}\n`);
    const server = await scene.server();
    const worker = scene.worker(
      `${own.user}@127.0.0.1:${own.port}`,
      [
        '-t',
        '--local-port',
        String(await freePort()),
        '--remote-port',
        new URL(server.url).port,
        '--identity',
        own.clientKeyPath,
        '--retry-if-empty',
      ],
      { HOME: home },
    );
    await worker.waitForOutput(/working for/);
    await own.stop();
    // Another machine answers at that address now: a new host key.
    const impostor = await startSshd({ port: own.port });
    scene.defer(() => impostor.stop());
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toMatch(/the SSH tunnel gave up: stopping/);
    expect(worker.stderr).toMatch(/ERR_SSH_HOST_KEY_CHANGED/);
    expect(worker.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});
