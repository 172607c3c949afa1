/**
 * Several `bottle-server` processes on one PostgreSQL queue, as real processes: workers spread
 * over them, one server killed -9 mid-sweep, and servers starting together on an empty database.
 * `SCALE_OUT_TASKS` sets the sweep's size: 500 by default, so that the test stays short on a loaded
 * machine; `SCALE_OUT_TASKS=10000` runs the full sweep.
 */
import type { AttemptInfo } from '@bottle/protocol';
import {
  type ChildHandle,
  createTestDatabase,
  postgresReachable,
  postgresSkipReason,
  type TestDatabase,
  waitFor,
} from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';

const TASKS = Number(process.env['SCALE_OUT_TASKS'] ?? 500);
const reachable = await postgresReachable();

interface Server {
  child: ChildHandle;
  url: string;
  client: BottleClient;
}

/** bottle-server on `db`, waiting until it listens and its queue is ready. */
async function startServer(scene: Scene, db: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const child = scene.spawn('bottle-server', ['--db', db, '--port', '0', ...args], env);
  const [, url] = await child.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/, 60_000);
  await child.waitForOutput(/tasks queued/, 60_000);
  const client = new BottleClient({ server: url as string });
  scene.defer(() => client.close());
  return { child, url: url as string, client } satisfies Server;
}

describe.skipIf(!reachable)('several servers on one PostgreSQL queue', () => {
  let database: TestDatabase;
  let scene: Scene;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await scene?.close();
  });
  afterAll(async () => {
    await database?.drop();
  });
  const dbUrl = (schema: string) => `${database.url}?schema=${schema}`;

  it('two servers starting at the same moment on an empty database: one migration, no error', async () => {
    scene = new Scene();
    const [a, b] = await Promise.all([
      startServer(scene, dbUrl('twins')),
      startServer(scene, dbUrl('twins')),
    ]);
    const rows = await database.query('SELECT version FROM twins.bottle_migrations');
    // Each migration ran once: versions 1..n, none twice.
    expect(rows).toEqual(rows.map((_: unknown, i: number) => ({ version: i + 1 })));
    expect(rows.length).toBeGreaterThan(0);
    for (const server of [a, b]) expect(server.child.stderr).not.toMatch(/error/i);
    // Both serve the same queue.
    await a.client.submit([{ task: 'sweep.Task', params: { n: 1 } }]);
    expect((await b.client.listScans()).scans[0]?.total).toBe(1);
  });

  it('hides the password of the URL, and refuses --gather without --gather-shared', async () => {
    scene = new Scene();
    const url = new URL(dbUrl('words'));
    url.password = 'hunter2';
    const server = await startServer(scene, url.toString());
    expect(server.child.stdout).toContain(':***@');
    expect(server.child.stdout + server.child.stderr).not.toContain('hunter2');
    const refused = scene.spawn('bottle-server', ['--db', url.toString(), '--port', '0', '--gather', 'out']);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr).toMatch(/--gather-shared/);
    expect(refused.stderr).not.toContain('hunter2');
    const shared = await startServer(scene, url.toString(), ['--gather', 'out', '--gather-shared']);
    expect(shared.child.stdout).toMatch(/gathering outputs in out/);
  });

  it(`3 servers, 3 workers at -x 10, ${TASKS} tasks, one server killed -9 mid-sweep: each task done once, no lease overlapping another`, async () => {
    scene = new Scene();
    const db = dbUrl('sweep');
    const env = { SWEEP_SIZE: String(TASKS) };
    // Leases long enough that a loaded machine's slow heartbeats lose none; attempts to spare, since
    // what counts here is one completion per task, not the attempts a loaded machine costs.
    const lease = ['--lease', '10', '--max-attempts', '20'];
    const servers = [
      await startServer(scene, db, ['-p', 'sweep.scan', ...lease], env),
      await startServer(scene, db, lease),
      await startServer(scene, db, lease),
    ];
    expect(servers[0]!.child.stdout).toMatch(new RegExp(`${TASKS} new tasks`));
    const workerArgs = ['-x', '10', '--retry-if-empty'];
    // Each worker lists every server, its own first: when one stops answering, it goes on through the next.
    const urls = servers.map((server) => server.url);
    const workers = urls.map((_url, i) =>
      scene.worker([...urls.slice(i), ...urls.slice(0, i)].join(','), workerArgs),
    );
    const [survivor, , victim] = servers as [Server, Server, Server];
    const doneCount = async () =>
      (await survivor.client.listScans()).scans.reduce((sum, scan) => sum + scan.counts.done, 0);
    await waitFor(async () => (await doneCount()) >= TASKS / 4, {
      what: 'a quarter of the sweep',
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    await victim.child.kill9();
    // Its worker carries on through the surviving servers, with the leases it holds.
    await waitFor(async () => (await doneCount()) === TASKS, {
      what: 'the sweep to finish on the surviving servers',
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    for (const worker of workers) await worker.stop();

    const tasks = await allTasks(survivor.client);
    expect(tasks).toHaveLength(TASKS);
    expect(tasks.filter((task) => task.state !== 'done')).toEqual([]);
    const overlapping: string[] = [];
    const notOnce: string[] = [];
    for (const task of tasks) {
      const { attempts } = await survivor.client.getTask(task.key);
      if (attempts.filter((a) => a.outcome === 'done').length !== 1) notOnce.push(task.key);
      if (overlaps(attempts)) overlapping.push(task.key);
    }
    expect(notOnce).toEqual([]);
    expect(overlapping).toEqual([]);
    // Every server served part of the sweep.
    const workerIds = new Set(tasks.map((task) => task.workerId));
    expect(workerIds.size).toBeGreaterThanOrEqual(2);
  }, 400_000);
});

// Without PostgreSQL, one skipped test says why (with it, nothing is skipped).
if (!reachable) {
  describe('several servers on one PostgreSQL queue', () => {
    it.skip(postgresSkipReason, () => {});
  });
}

/**
 * A lease runs from its attempt's start to its end (the report, or the expiry for a lost one):
 * no attempt may start before the one before it ended.
 */
function overlaps(attempts: AttemptInfo[]): boolean {
  for (let i = 1; i < attempts.length; i++) {
    const previous = attempts[i - 1]!;
    if (previous.endedAt === null || attempts[i]!.startedAt < previous.endedAt) return true;
  }
  return false;
}
