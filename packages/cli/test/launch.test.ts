import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type SshdFixture, startSshd, waitFor } from '@bottle/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allTasks, binPath, Scene } from './_e2e.js';

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

/** HOME for `bottle launch`: known_hosts with the test sshd's key. */
function makeHome(scene: Scene): string {
  const home = join(scene.dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
  return home;
}

/** A hosts.json whose entries all log in to the test sshd and start the built bottle-worker. */
function writeHostsFile(scene: Scene, server: string | undefined, hosts: unknown[], args: string[] = []) {
  const path = join(scene.dir, 'hosts.json');
  const file = {
    ...(server ? { server } : {}),
    defaults: {
      port: sshd.port,
      identity: sshd.clientKeyPath,
      cwd: scene.root,
      slots: 2,
      command: `${process.execPath} ${binPath('bottle-worker')}`,
      ...(args.length ? { args } : {}),
    },
    hosts,
  };
  writeFileSync(path, JSON.stringify(file, null, 2));
  return path;
}

describe.skipIf(!hasSshd)('bottle launch hosts.json against a real sshd', () => {
  it('starts a worker per entry; the sweep completes with output prefixed per host; an unreachable host is reported', async () => {
    scene = new Scene();
    const home = makeHome(scene);
    const server = await scene.server(['-p', 'sweep.slow']);
    const closed = await freePort();
    const hostsFile = writeHostsFile(scene, server.url, [
      { host: '127.0.0.1', label: 'one' },
      { host: '127.0.0.1', label: 'two' },
      { host: '127.0.0.1', port: closed, label: 'down' },
    ]);
    const launch = scene.spawn('bottle', ['launch', hostsFile], { HOME: home });
    // Both workers finish the sweep and exit; the unreachable host makes the exit code 1.
    expect(await launch.exited).toBe(1);
    expect(launch.stdout).toMatch(/^\[one\] bottle-worker: \d+ done, 0 failed/m);
    expect(launch.stdout).toMatch(/^\[two\] bottle-worker: \d+ done, 0 failed/m);
    const done = [...launch.stdout.matchAll(/^\[(one|two)\] bottle-worker: (\d+) done/gm)];
    expect(done.reduce((sum, m) => sum + Number(m[2]), 0)).toBe(40);
    expect(launch.stderr).toMatch(new RegExp(`\\[down\\].*${closed}`));
    expect(launch.stderr).toMatch(/1 of 3 hosts failed: down/);
    const tasks = await allTasks(server.client);
    expect(tasks.filter((task) => task.state === 'done')).toHaveLength(40);
    expect(new Set(tasks.map((task) => task.workerId)).size).toBe(2);
  });

  it('points hosts without a server URL at a reverse tunnel, and Ctrl-C stops every worker (exit 130)', async () => {
    scene = new Scene();
    const home = makeHome(scene);
    const server = await scene.server(['-p', 'sweep.small']);
    const hostsFile = writeHostsFile(
      scene,
      undefined,
      [
        { host: '127.0.0.1', label: 'one' },
        { host: '127.0.0.1', label: 'two' },
      ],
      ['--retry-if-empty'],
    );
    const launch = scene.spawn('bottle', ['launch', hostsFile, '--local-port', new URL(server.url).port], {
      HOME: home,
    });
    await waitFor(async () => (await allTasks(server.client)).every((task) => task.state === 'done'), {
      what: 'the remote workers to finish the scan',
    });
    await waitFor(async () => (await server.client.listWorkers()).workers.length === 2, {
      what: 'both workers to have called',
    });
    launch.process.kill('SIGINT');
    expect(await launch.exited).toBe(130);
    // Each remote worker got the interrupt, stopped gracefully and printed its summary.
    expect(launch.stdout).toMatch(/^\[one\] bottle-worker: \d+ done, 0 failed/m);
    expect(launch.stdout).toMatch(/^\[two\] bottle-worker: \d+ done, 0 failed/m);
    expect(launch.stdout).toMatch(
      /^\[one\] bottle-worker: worker \S+ working for http:\/\/127\.0\.0\.1:\d+/m,
    );
  });
});
