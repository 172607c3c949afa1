// bottle as its users run it: the built `bottle-server` on a temporary SQLite file and ONE
// `bottle-worker` process, both started from their bins, driven over the public HTTP API.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskKey } from '@bottle/protocol';
import { call, cpuMs, latencySummary, now, Skip, sleep, startProcess } from '../_measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, '..', '..', 'packages/cli/bin', `${name}.js`);
const SUBMIT_BATCH = 5_000;
const ISOLATIONS = ['process', 'thread', 'none'];

/**
 * A server on a fresh SQLite file (on disk, like the peers' queues), and a root holding the no-op task
 * module where the worker runs and writes task outputs: on tmpfs when the machine has one, so that
 * the disk is not loaded by outputs nobody reads (and removing them costs nothing).
 */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-'));
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bottle-bench-root-'));
  copyFileSync(join(here, '..', 'tasks', 'noop.mjs'), join(root, 'noop.mjs'));
  const server = startProcess(null, [bin('bottle-server'), '--db', join(dir, 'bench.db'), '--port', '0'], {
    cwd: dir,
  });
  const [, url] = await server.waitFor(/listening on (http:\/\/[\d.]+:\d+)/);
  await server.waitFor(/tasks queued/);
  const stop = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  };
  return { root, url, pid: server.child.pid, stop };
}

async function startWorker(server, slots, isolation) {
  const args = [bin('bottle-worker'), server.url, '-x', String(slots), '--retry-if-empty'];
  if (isolation.flag) args.push('--isolation', isolation.mode);
  const worker = startProcess(null, args, { cwd: server.root });
  try {
    await worker.waitFor(/working for/);
  } catch (error) {
    if (isolation.flag && /isolation/i.test(worker.output()))
      throw new Skip(
        `bottle-worker refused --isolation ${isolation.mode}: ${worker.output().trim().split('\n')[0]}`,
      );
    throw error;
  }
  return worker;
}

async function waitForScan(url, scan, count) {
  for (;;) {
    const { counts } = await call(url, 'GET', `/v1/scans/${scan}`);
    if (counts.failed > 0) throw new Error(`${counts.failed} no-op tasks failed in scan ${scan}`);
    if (counts.done >= count) return;
    await sleep(25); // polling costs the server CPU too: often enough for the precision wanted
  }
}

/** Tasks per second from just before the first submit to the last completion the server records. */
async function throughput(slots, isolation, tasks) {
  const server = await startServer();
  try {
    const worker = await startWorker(server, slots, isolation);
    await call(server.url, 'POST', '/v1/tasks', {
      tasks: [{ task: 'noop.Task', params: { warm: 1 } }],
      scan: 'warm',
    });
    await waitForScan(server.url, 'warm', 1);
    const t0 = now();
    for (let first = 0; first < tasks; first += SUBMIT_BATCH) {
      const batch = [];
      for (let n = first; n < Math.min(tasks, first + SUBMIT_BATCH); n++)
        batch.push({ task: 'noop.Task', params: { n } });
      await call(server.url, 'POST', '/v1/tasks', { tasks: batch, scan: 'run' });
    }
    await waitForScan(server.url, 'run', tasks);
    const seconds = (now() - t0) / 1000;
    await worker.stop();
    return { value: tasks / seconds };
  } finally {
    await server.stop();
  }
}

/** Submit -> `run()` starts, one task at a time to a worker idle in its long-poll claim. */
async function latency(isolation, samples) {
  const server = await startServer();
  try {
    const worker = await startWorker(server, 1, isolation);
    const found = [];
    for (let i = -5; i < samples; i++) {
      const params = { i, nonce: Math.random() };
      const key = taskKey('noop.Stamp', params);
      await sleep(30); // the worker is back in its long-poll
      const submittedAt = now();
      await call(server.url, 'POST', '/v1/tasks', {
        tasks: [{ task: 'noop.Stamp', params }],
        scan: 'latency',
      });
      await sleep(5); // stay off the CPU while the task starts: the stamp is taken in the task
      let task;
      for (;;) {
        ({ task } = await call(server.url, 'GET', `/v1/tasks/${key}`));
        if (task.state === 'done') break;
        if (task.state === 'failed') throw new Error(`a Stamp task failed: ${JSON.stringify(task)}`);
        await sleep(5);
      }
      if (i >= 0) found.push(task.result.t - submittedAt); // the first five warm the path up
    }
    await worker.stop();
    return latencySummary(found);
  } finally {
    await server.stop();
  }
}

/** One long-poll claim held open; resolves when the server answers it. */
function openClaim(url, agent, n, connected) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/claim`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ at: now(), status: res.statusCode, body }));
      },
    );
    req.on('error', reject);
    req.on('socket', (socket) => socket.once('connect', connected));
    req.end(JSON.stringify({ workerId: `idle-${n}`, host: 'bench', max: 1, waitMs: 120_000 }));
  });
}

/**
 * `count` idle claims held open: the server's CPU use over `cpuSeconds`, then the time from one
 * submit of `count` tasks until every claim has its task.
 */
async function idleClaims(count, cpuSeconds) {
  const server = await startServer();
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  try {
    const answers = [];
    // Open in steps so that the listen backlog never overflows (a dropped SYN costs a second).
    for (let first = 0; first < count; first += 250) {
      const step = Math.min(250, count - first);
      let connected = 0;
      const all = new Promise((resolve) => {
        const onConnect = () => ++connected === step && resolve();
        for (let n = first; n < first + step; n++) answers.push(openClaim(server.url, agent, n, onConnect));
      });
      await all;
    }
    await sleep(1000 + count / 4); // every claim is read and waiting on the server
    const cpuBefore = cpuMs(server.pid);
    const windowStart = now();
    await sleep(cpuSeconds * 1000);
    const cpuPercent = ((cpuMs(server.pid) - cpuBefore) / (now() - windowStart)) * 100;
    const tasks = Array.from({ length: count }, (_, n) => ({ task: 'noop.Task', params: { n } }));
    const t0 = now();
    await call(server.url, 'POST', '/v1/tasks', { tasks, scan: 'fan-out' });
    const done = await Promise.all(answers);
    const fanoutMs = Math.max(...done.map((a) => a.at)) - t0;
    const served = done.filter((a) => a.status === 200 && JSON.parse(a.body).tasks.length === 1).length;
    if (served !== count) throw new Error(`${count - served} of ${count} waiting claims got no task`);
    return { cpuPercent, fanoutMs };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

/** The isolation modes this bottle-worker takes (`--isolation`), and a reason for each it does not. */
function isolations() {
  const help = spawnSync(process.execPath, [bin('bottle-worker'), '--help'], { encoding: 'utf8' }).stdout;
  if (help.includes('--isolation'))
    return { modes: ISOLATIONS.map((mode) => ({ mode, flag: true })), skipped: [] };
  return {
    // Today's only mode is a process per slot: measured as `process`, without the flag.
    modes: [{ mode: 'process', flag: false }],
    skipped: ISOLATIONS.slice(1).map((mode) => ({ mode, reason: 'bottle-worker has no --isolation flag' })),
  };
}

/** The bottle rows of the comparison (every case starts its own server). */
export async function open({ tasks, wide, samples, claims, cpuSeconds }) {
  const { modes, skipped } = isolations();
  const label = (m) => `bottle, isolation ${m.mode}${m.flag ? '' : ' (default, no --isolation flag)'}`;
  const cases = [];
  for (const m of modes) {
    cases.push({ measure: 'x1', system: label(m), run: () => throughput(1, m, tasks) });
    cases.push({ measure: `x${wide}`, system: label(m), run: () => throughput(wide, m, tasks) });
    cases.push({ measure: 'latency', system: label(m), run: () => latency(m, samples) });
  }
  for (const s of skipped)
    for (const measure of ['x1', `x${wide}`, 'latency'])
      cases.push({ measure, system: `bottle, isolation ${s.mode}`, skip: s.reason });
  for (const count of claims)
    cases.push({
      measure: `claims-${count}`,
      system: 'bottle server',
      run: () => idleClaims(count, cpuSeconds),
    });
  return { cases, close: async () => {} };
}
