// Server benchmark, in three parts (each alone with --only=store|http|longpoll, comma-separated):
//  store:    the SqliteStore in this process, no HTTP: claim+complete at batch 100 and 1 with 10^4 and
//            10^6 queued, and a 10^6-task submit (10,000 per call), with the CPU time per task.
//  http:     the built server in a child process, driven over HTTP: the same claims from 4 client loops,
//            one single-task request's round trip, a 10^6-task submit (50,000 per request or --submit-batch=N, generated
//            request by request so that neither side holds the sweep) with the server's peak RSS.
//  longpoll: 1,000 and 8,000 claims held open (max 1, waitMs 60 s): the server's CPU while they wait,
//            then one submit of as many tasks, timed until the last waiting claim has its task.
// Run after `pnpm build`: `node bench/server.mjs` (a few minutes on 2 cores) or `--quick` (10^5 sweeps).
// `--dist=DIR` benchmarks another build of packages/server (e.g. an older commit's dist);
// `--profile=DIR` writes a CPU profile of each server process into DIR.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const only = new Set((arg('only') ?? 'store,http,longpoll').split(','));
const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(arg('dist') ?? join(here, '..', 'packages/server/dist'));
const profile = arg('profile');
const BIG = quick ? 100_000 : 1_000_000;
const SMALL = 10_000;
const CLIENTS = 4; // concurrent claim/complete loops, as from several workers
const SUBMIT_BATCH = Number(arg('submit-batch') ?? 50_000); // default: the protocol's largest submit
const measure = quick ? { 1: 1_000, 100: 10_000 } : { 1: 3_000, 100: 30_000 };
const WAITERS = (arg('waiters') ?? (quick ? '1000' : '1000,8000')).split(',').map(Number);
const TICKS = 100; // USER_HZ: /proc/<pid>/stat times are in 1/100 s on Linux

const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-server-'));
const children = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const rows = [];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const row = (label, value) => {
  rows.push([label, value]);
  console.error(`  ${label}: ${value}`);
};
const spec = (i) => ({ task: 'bench/sim.task', params: { i, lr: 0.001 * (i % 97), seed: i % 13 } });
const specs = (from, n) => Array.from({ length: n }, (_, k) => spec(from + k));
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** "N tasks/s (C µs CPU/task)": wall rate and this process's CPU per task (robust to a loaded machine). */
const rate = (tasks, wallMs, cpu) =>
  `${fmt(tasks / (wallMs / 1000))} tasks/s (${((cpu * 1000) / tasks).toFixed(1)} µs CPU/task)`;

// ---------------------------------------------------------------------------------------------- store
async function storePart() {
  const { SqliteStore } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const open = (name) => new SqliteStore(join(dir, `${name}.db`));
  const submitAll = async (store, from, count, per = 10_000) => {
    for (let offset = 0; offset < count; offset += per) {
      await store.submit({ tasks: specs(from + offset, Math.min(per, count - offset)), scan: 'bench' });
    }
  };
  const claimComplete = async (store, batch, total) => {
    const started = performance.now();
    const cpu = cpuMs();
    for (let done = 0; done < total; done += batch) {
      const [tasks] = await store.claim([{ workerId: 'bench', host: 'bench', max: batch, waitMs: 0 }]);
      if (tasks.length < batch) throw new Error('queue ran dry');
      const reports = tasks.map((t) => ({
        outcome: 'done',
        key: t.key,
        leaseToken: t.leaseToken,
        result: 1,
      }));
      const results = await store.report('bench', reports);
      if (!results.every((r) => r.ok)) throw new Error('a completion was refused');
    }
    return rate(total, performance.now() - started, cpuMs() - cpu);
  };
  for (const queued of [SMALL, BIG]) {
    const store = open(`store-${queued}`);
    const consumed = measure[1] + measure[100];
    const cpu = cpuMs();
    const started = performance.now();
    await submitAll(store, 0, queued + consumed);
    if (queued === BIG) {
      row(
        `store: submit ${fmt(queued + consumed)} tasks (10k per call)`,
        rate(queued + consumed, performance.now() - started, cpuMs() - cpu),
      );
    }
    row(
      `store: claim+complete, batch 100, ${fmt(queued)} queued`,
      await claimComplete(store, 100, measure[100]),
    );
    row(`store: claim+complete, batch 1, ${fmt(queued)} queued`, await claimComplete(store, 1, measure[1]));
    await store.close();
  }
}

// ----------------------------------------------------------------------------------------------- http
async function startServer(name) {
  const flags = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`, `--cpu-prof-name=server-${name}.cpuprofile`]
    : [];
  const child = spawn(
    process.execPath,
    [...flags, join(here, 'server', 'child.mjs'), join(dir, `${name}.db`)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BOTTLE_SERVER_DIST: dist },
    },
  );
  children.push(child);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: did you run pnpm build?`)));
  });
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return {
    url,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(status())[1]) / 1024,
    /** CPU time (user + system) of the server process so far, in ms. */
    cpuMs: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

async function post(url, path, body) {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Submits `count` tasks numbered from `from`, SUBMIT_BATCH per request; returns the wall time in ms. */
async function submitHttp(url, from, count) {
  const started = performance.now();
  for (let offset = 0; offset < count; offset += SUBMIT_BATCH) {
    const n = Math.min(SUBMIT_BATCH, count - offset);
    const result = await post(url, '/v1/tasks', { tasks: specs(from + offset, n), scan: 'bench' });
    if (result.created !== n) throw new Error(`expected ${n} created, got ${JSON.stringify(result)}`);
  }
  return performance.now() - started;
}

/** `loops` loops claim `batch` tasks and complete them in one report, until `total` are done. */
async function claimCompleteHttp(server, batch, total, loops = CLIENTS) {
  let remaining = total;
  const loop = async (n) => {
    const workerId = `bench-${n}`;
    while (remaining > 0) {
      const max = Math.min(batch, remaining);
      remaining -= max;
      const { tasks } = await post(server.url, '/v1/claim', { workerId, host: 'bench', max, waitMs: 0 });
      if (tasks.length === 0) throw new Error('queue ran dry');
      const reports = tasks.map((t) => ({
        outcome: 'done',
        key: t.key,
        leaseToken: t.leaseToken,
        result: 1,
      }));
      const { results } = await post(server.url, '/v1/report', { workerId, reports });
      if (!results.every((r) => r.ok)) throw new Error('a completion was refused');
    }
  };
  const started = performance.now();
  const cpu = server.cpuMs();
  await Promise.all(Array.from({ length: loops }, (_, n) => loop(n)));
  const wall = performance.now() - started;
  return `${fmt(total / (wall / 1000))} tasks/s (server ${(((server.cpuMs() - cpu) * 1000) / total).toFixed(0)} µs CPU/task)`;
}

async function httpPart() {
  {
    const server = await startServer('small');
    await submitHttp(server.url, 0, SMALL + measure[1] * 2 + measure[100]);
    row(
      `http: claim+complete, batch 100, ${fmt(SMALL)} queued`,
      await claimCompleteHttp(server, 100, measure[100]),
    );
    row(
      `http: claim+complete, batch 1, ${fmt(SMALL)} queued`,
      await claimCompleteHttp(server, 1, measure[1]),
    );
    // One client, one task at a time: the cost of a request, as a worker at -x 1 pays it.
    const n = measure[1];
    const started = performance.now();
    await claimCompleteHttp(server, 1, n, 1);
    row(
      'http: one claim + one report, single task, one client',
      `${((performance.now() - started) / n / 2).toFixed(2)} ms per request`,
    );
    await server.stop();
  }
  {
    const server = await startServer('big');
    const rssBefore = server.rssMb();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rssMb());
    }, 100);
    const cpu = server.cpuMs();
    const wall = await submitHttp(server.url, 0, BIG);
    clearInterval(sampler);
    row(
      `http: submit ${fmt(BIG)} tasks (${fmt(SUBMIT_BATCH)} per request)`,
      `${(wall / 1000).toFixed(1)} s, ${fmt(BIG / (wall / 1000))} tasks/s (server ${(((server.cpuMs() - cpu) * 1000) / BIG).toFixed(1)} µs CPU/task)`,
    );
    row(
      `http: server RSS empty / peak during the submit / after`,
      `${rssBefore.toFixed(0)} / ${peak.toFixed(0)} / ${server.rssMb().toFixed(0)} MB`,
    );
    row(
      `http: claim+complete, batch 100, ${fmt(BIG)} queued`,
      await claimCompleteHttp(server, 100, measure[100]),
    );
    row(`http: claim+complete, batch 1, ${fmt(BIG)} queued`, await claimCompleteHttp(server, 1, measure[1]));
    await server.stop();
  }
}

// ------------------------------------------------------------------------------------------- longpoll
async function longpollPart() {
  // Each claim on its own raw connection, read with no HTTP client: 8,000 workers live in 8,000
  // processes, and node:http's Agent bookkeeping for 8,000 sockets in one process would be measured instead.
  const claim = (url, workerId) =>
    new Promise((resolve, reject) => {
      const { hostname: host, port } = new URL(url);
      const body = JSON.stringify({ workerId, host: 'bench', max: 1, waitMs: 60_000 });
      const born = performance.now();
      const socket = connect(Number(port), host);
      let buffer = Buffer.alloc(0);
      socket.on('error', (error) =>
        reject(Object.assign(error, { workerId, after: performance.now() - born })),
      );
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffer.subarray(0, end).toString())?.[1]);
        if (buffer.length < end + 4 + length) return;
        const at = performance.now();
        socket.destroy();
        resolve({ at, tasks: JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString()).tasks });
      });
      socket.write(
        `POST /v1/claim HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  for (const n of WAITERS) {
    const server = await startServer(`longpoll-${n}`);
    /** Until the server's CPU use falls to (near) nothing: it has taken in every claim sent so far. */
    const settled = async () => {
      for (let last = server.cpuMs(), i = 0; i < 300; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const now = server.cpuMs();
        if (now - last <= 10) return;
        last = now;
      }
    };
    // Connected 250 at a time, as workers arrive: a burst of 8,000 overflows the listen backlog while
    // the server is busy answering the first ones (each claim's first look at the queue is a transaction).
    const answers = [];
    for (let i = 0; i < n; i += 250) {
      for (let k = i; k < Math.min(n, i + 250); k++) answers.push(claim(server.url, `w${k}`));
      await settled();
    }
    const idleCpu = server.cpuMs();
    const idleMs = 5_000;
    await new Promise((r) => setTimeout(r, idleMs));
    const idle = ((server.cpuMs() - idleCpu) / idleMs) * 100;
    const started = performance.now();
    const busyCpu = server.cpuMs();
    const submitted = post(server.url, '/v1/tasks', { tasks: specs(0, n), scan: 'bench' }).then(() =>
      performance.now(),
    );
    const got = await Promise.all(answers);
    const submitAnswered = await submitted;
    const busy = server.cpuMs() - busyCpu;
    const keys = new Set(got.flatMap((g) => g.tasks.map((t) => t.key)));
    if (keys.size !== n || got.some((g) => g.tasks.length !== 1))
      throw new Error(`expected ${n} distinct tasks, got ${keys.size}`);
    const last = Math.max(...got.map((g) => g.at)) - started;
    row(`longpoll: ${fmt(n)} waiting claims, server CPU while idle`, `${idle.toFixed(2)} %`);
    row(
      `longpoll: one submit of ${fmt(n)} tasks to ${fmt(n)} waiting claims`,
      `last claim answered after ${last.toFixed(0)} ms (${((last * 1000) / n).toFixed(0)} µs per claim); the submit after ${(submitAnswered - started).toFixed(0)} ms; server CPU ${busy.toFixed(0)} ms`,
    );
    await server.stop();
  }
}

console.error(`bottle server benchmark: ${dist}`);
if (only.has('store')) await storePart();
if (only.has('http')) await httpPart();
if (only.has('longpoll')) await longpollPart();

console.log(
  `\nbottle server benchmark${quick ? ' (--quick)' : ''}: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${(await import('node:os')).loadavg()[0].toFixed(1)}\n`,
);
const width = Math.max(...rows.map(([label]) => label.length));
console.log(`| ${'measure'.padEnd(width)} | result |\n|${'-'.repeat(width + 2)}|--------|`);
for (const [label, value] of rows) console.log(`| ${label.padEnd(width)} | ${value} |`);
