import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskSpec } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir, startSshd, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { BottleClient, Worker } from '../src/index.js';
import { openTunnel } from '../src/ssh/tunnel.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a sweep through the SSH tunnel (bottle-worker HOST -t)', () => {
  it('completes while sshd is killed -9 and restarted mid-run', async () => {
    const temp = makeTempDir();
    cleanups.push(() => temp.remove());
    const root = join(temp.path, 'root');
    cpSync(fixtures, root, { recursive: true });
    const home = join(temp.path, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });

    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
    // A short lease: a claim whose answer was lost with the link is handed out again soon.
    const server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db'), leaseMs: 1_000 });
    cleanups.push(() => server.close());

    // As `bottle-worker root@127.0.0.1:<port> -t --remote-port <server port>` would open it.
    const tunnel = await openTunnel({
      target: `${sshd.user}@127.0.0.1:${sshd.port}`,
      identity: sshd.clientKeyPath,
      homeDir: home,
      localPort: 0,
      remotePort: server.port,
      remoteHost: '127.0.0.1',
      keepaliveIntervalMs: 1_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    });
    cleanups.push(() => tunnel.close());
    const events: string[] = [];
    tunnel.on('tunnel.disconnected', () => events.push('disconnected'));
    tunnel.on('tunnel.connected', () => events.push('connected'));

    const client = new BottleClient({ server: tunnel.localUrl });
    cleanups.push(() => client.close());
    const specs: TaskSpec[] = Array.from({ length: 12 }, (_, n) => ({
      task: 'sweep.Task',
      params: { n, ms: 100 },
      scan: 'ssh',
    }));
    await client.submit(specs);

    const worker = new Worker({
      server: tunnel.localUrl,
      root,
      slots: 2,
      retryIfEmpty: true,
      claimWaitMs: 500,
      maxBackoffMs: 200,
      stopGraceMs: 300,
    });
    cleanups.push(() => worker.stop({ force: true }));
    let done = 0;
    worker.on('task.done', () => done++);
    const run = worker.run();

    await waitFor(() => done >= 3, { what: 'the first tasks to finish through the tunnel' });
    await sshd.kill9();
    await waitFor(() => events.includes('disconnected'), { what: 'the tunnel to notice the drop' });
    await sshd.restart();
    await waitFor(() => events.includes('connected'), { what: 'the tunnel to reconnect' });

    const states = async () => {
      const all: string[] = [];
      for await (const task of client.iterateTasks({ scan: 'ssh' })) all.push(task.state);
      return all;
    };
    await waitFor(async () => (await states()).every((state) => state === 'done'), {
      what: 'the sweep to complete',
    });
    await worker.stop();
    expect(await run).toMatchObject({ failed: 0 });
    expect(await states()).toEqual(Array(12).fill('done'));
  });
});
