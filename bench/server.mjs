// Server benchmark: claim+complete throughput over HTTP at batch 1 and 100 with 10k and 1M tasks queued,
// the submit rate of a 1M-task sweep, and the server's memory with 1M queued.
// Run after `pnpm build`: `node bench/server.mjs` (about 3 minutes on 2 cores) or `--quick` (100k sweep).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const here = dirname(fileURLToPath(import.meta.url));
const BIG = quick ? 100_000 : 1_000_000;
const SMALL = 10_000;
const CLIENTS = 4; // concurrent claim/complete loops, as from several workers
const SUBMIT_BATCH = 50_000; // the protocol's largest submit
const measure = quick ? { 1: 1_000, 100: 10_000 } : { 1: 3_000, 100: 30_000 }; // tasks claimed+completed per measurement

const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-'));
const children = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(name) {
  const child = spawn(process.execPath, [join(here, 'server', 'child.mjs'), join(dir, `${name}.db`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  return {
    url,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
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

/** Submits `count` tasks numbered from `from`, 50k per request; returns tasks per second. */
async function submit(url, from, count) {
  const started = performance.now();
  for (let offset = 0; offset < count; offset += SUBMIT_BATCH) {
    const n = Math.min(SUBMIT_BATCH, count - offset);
    const tasks = Array.from({ length: n }, (_, i) => ({
      task: 'bench/sim.task',
      params: { i: from + offset + i, lr: 0.001 * ((offset + i) % 97), seed: (offset + i) % 13 },
    }));
    const result = await post(url, '/v1/tasks', { tasks, scan: 'bench' });
    if (result.created !== n) throw new Error(`expected ${n} created, got ${JSON.stringify(result)}`);
  }
  return count / ((performance.now() - started) / 1000);
}

/** CLIENTS loops claim `batch` tasks and complete them in one report, until `total` are done. */
async function claimComplete(url, batch, total) {
  let remaining = total;
  const loop = async (n) => {
    const workerId = `bench-${n}`;
    while (remaining > 0) {
      const max = Math.min(batch, remaining);
      remaining -= max;
      const { tasks } = await post(url, '/v1/claim', { workerId, host: 'bench', max, waitMs: 0 });
      if (tasks.length === 0) throw new Error('queue ran dry');
      const reports = tasks.map((t) => ({
        outcome: 'done',
        key: t.key,
        leaseToken: t.leaseToken,
        result: 1,
      }));
      const { results } = await post(url, '/v1/report', { workerId, reports });
      if (!results.every((r) => r.ok)) throw new Error('a completion was refused');
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => loop(n)));
  return total / ((performance.now() - started) / 1000);
}

const rows = [];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// 10k queued: submit enough that the queue stays at or above 10k while we consume.
{
  const server = await startServer('small');
  const consumed = measure[1] + measure[100];
  await submit(server.url, 0, SMALL + consumed);
  rows.push([
    `claim+complete, batch 1, ${fmt(SMALL)} queued`,
    `${fmt(await claimComplete(server.url, 1, measure[1]))} tasks/s`,
  ]);
  rows.push([
    `claim+complete, batch 100, ${fmt(SMALL)} queued`,
    `${fmt(await claimComplete(server.url, 100, measure[100]))} tasks/s`,
  ]);
  await server.stop();
}

// The big sweep: submit rate, memory, then the same claims with the queue full.
{
  const server = await startServer('big');
  const rssBefore = server.rssMb();
  const rate = await submit(server.url, 0, BIG);
  rows.push([
    `submit ${fmt(BIG)} tasks (50k per request)`,
    `${fmt(rate)} tasks/s (${(BIG / rate).toFixed(1)} s)`,
  ]);
  rows.push([
    `server RSS, empty / with ${fmt(BIG)} queued`,
    `${rssBefore.toFixed(0)} MB / ${server.rssMb().toFixed(0)} MB`,
  ]);
  rows.push([
    `claim+complete, batch 1, ${fmt(BIG)} queued`,
    `${fmt(await claimComplete(server.url, 1, measure[1]))} tasks/s`,
  ]);
  rows.push([
    `claim+complete, batch 100, ${fmt(BIG)} queued`,
    `${fmt(await claimComplete(server.url, 100, measure[100]))} tasks/s`,
  ]);
  rows.push([`server RSS after the claims`, `${server.rssMb().toFixed(0)} MB`]);
  await server.stop();
}

console.log(
  `\nbottle server benchmark${quick ? ' (--quick)' : ''}: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${CLIENTS} client loops\n`,
);
const width = Math.max(...rows.map(([label]) => label.length));
console.log(`| ${'measure'.padEnd(width)} | result |\n|${'-'.repeat(width + 2)}|--------|`);
for (const [label, value] of rows) console.log(`| ${label.padEnd(width)} | ${value} |`);
