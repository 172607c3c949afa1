// PostgreSQL store beside SQLite, in the same run: claim+complete at batch 100 and 1, a 10^6 submit,
// and the idle dispatch latency across servers (a submit through server A answering a claim waiting
// on server B, woken by LISTEN/NOTIFY; SQLite: one server, woken in-process).
// Needs PostgreSQL (BOTTLE_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test); makes and
// drops its own database. Run after `pnpm build`: `node bench/postgres.mjs` or `--quick` (10^5 submit).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore, startBottleServer } from '../packages/server/dist/index.js';
import { PostgresStore } from '../packages/server/dist/postgres.js';

// The driver the server package depends on (the repository root has none of its own).
const pg = createRequire(new URL('../packages/server/package.json', import.meta.url))('pg');

const quick = process.argv.includes('--quick');
const BIG = quick ? 100_000 : 1_000_000;
const CLAIMED = { 100: quick ? 5_000 : 20_000, 1: quick ? 500 : 2_000 };
const WAKES = quick ? 20 : 50;
const admin = process.env.BOTTLE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) };

const dbName = `bottle_bench_${randomBytes(4).toString('hex')}`;
const adminClient = new pg.Client({ connectionString: admin });
try {
  await adminClient.connect();
} catch (error) {
  console.log(`PostgreSQL not reachable at ${admin} (${error.message}): skipped`);
  process.exit(0);
}
await adminClient.query(`CREATE DATABASE ${dbName}`);
const url = Object.assign(new URL(admin), { pathname: `/${dbName}` }).toString();
const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-pg-'));
let schemas = 0;

const stores = {
  sqlite: () => new SqliteStore(join(dir, `s${++schemas}.db`)),
  postgres: async () => {
    const store = new PostgresStore({ connectionString: url, schema: `b${++schemas}` });
    await store.ready();
    return store;
  },
};
const specs = (n, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ task: 'bench.task', params: { i: from + i } }));

async function submitAll(store, n) {
  for (let i = 0; i < n; i += 50_000) await store.submit({ tasks: specs(Math.min(50_000, n - i), i) });
}

/** Tasks claimed and completed per second, by 4 concurrent loops of claim(batch) + report(batch). */
async function claimComplete(store, batch) {
  const total = CLAIMED[batch];
  await submitAll(store, total);
  const start = performance.now();
  await Promise.all(
    [0, 1, 2, 3].map(async (n) => {
      for (;;) {
        const [tasks] = await store.claim([{ workerId: `w${n}`, host: 'h', max: batch, waitMs: 0 }]);
        if (tasks.length === 0) return;
        const reports = tasks.map((t) => ({ outcome: 'done', key: t.key, leaseToken: t.leaseToken }));
        await store.report(`w${n}`, reports);
      }
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

async function submitRate(store) {
  const start = performance.now();
  await submitAll(store, BIG);
  return BIG / ((performance.now() - start) / 1000);
}

/** Median ms from a submit through server A to the answer of a claim waiting on server B. */
async function idleDispatch(kind) {
  const storeA = await stores[kind]();
  const storeB =
    kind === 'sqlite' ? storeA : new PostgresStore({ connectionString: url, schema: `b${schemas}` });
  const a = await startBottleServer({ store: storeA, port: 0, logger: quiet });
  const b = kind === 'sqlite' ? a : await startBottleServer({ store: storeB, port: 0, logger: quiet });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const samples = [];
  for (let i = 0; i < WAKES; i++) {
    const waiting = fetch(`${b.url}/v1/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workerId: 'w', host: 'h', max: 1, waitMs: 10_000 }),
    }).then((r) => r.json());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const start = performance.now();
    void fetch(`${a.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tasks: specs(1, i) }),
    });
    const { tasks } = await waiting;
    samples.push(performance.now() - start);
    if (tasks.length !== 1) throw new Error('the waiting claim got no task');
  }
  await a.close();
  if (b !== a) await b.close();
  await storeA.close();
  if (storeB !== storeA) await storeB.close();
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
}

/** A bottle-server process on the PostgreSQL queue `schema`; resolves with its URL. */
async function serverProcess(schema, children) {
  const bin = new URL('../packages/cli/bin/bottle-server.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, '--db', `${url}?schema=${schema}`, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (match && /tasks queued/.test(out)) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`bottle-server exited with ${code}`)));
  });
}

async function post(base, path, body) {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Claim+complete over HTTP, batch 100, 6 client loops spread over `n` server processes of one queue. */
async function sweepThrough(n) {
  const schema = `sweep${n}`;
  const children = [];
  try {
    const urls = [];
    for (let i = 0; i < n; i++) urls.push(await serverProcess(schema, children));
    const total = CLAIMED[100];
    for (let i = 0; i < total; i += 10_000) await post(urls[0], '/v1/tasks', { tasks: specs(10_000, i) });
    const start = performance.now();
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (loop) => {
        const base = urls[loop % n];
        for (;;) {
          const { tasks } = await post(base, '/v1/claim', {
            workerId: `w${loop}`,
            host: 'h',
            max: 100,
            waitMs: 0,
          });
          if (tasks.length === 0) return;
          const reports = tasks.map((t) => ({ outcome: 'done', key: t.key, leaseToken: t.leaseToken }));
          await post(base, '/v1/report', { workerId: `w${loop}`, reports });
        }
      }),
    );
    return total / ((performance.now() - start) / 1000);
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

const results = {};
try {
  for (const kind of ['sqlite', 'postgres']) {
    const r = {};
    for (const batch of [100, 1]) {
      const store = await stores[kind]();
      r[`claim+complete, batch ${batch} (tasks/s)`] = await claimComplete(store, batch);
      await store.close();
    }
    const store = await stores[kind]();
    r[`submit of ${BIG.toLocaleString('en')} (tasks/s)`] = await submitRate(store);
    await store.close();
    r['idle dispatch, median (ms)'] = await idleDispatch(kind);
    results[kind] = r;
  }
  const one = await sweepThrough(1);
  const three = await sweepThrough(3);
  results.servers = { one, three };
} finally {
  rmSync(dir, { recursive: true, force: true });
  await adminClient.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await adminClient.end();
}

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), quick=${quick}`);
console.log('| measure | SQLite | PostgreSQL | PostgreSQL / SQLite |');
console.log('|---|---:|---:|---:|');
const sqliteKeys = Object.keys(results.sqlite);
for (const key of sqliteKeys) {
  const s = results.sqlite[key];
  const p = results.postgres[key];
  console.log(
    `| ${key} | ${s.toFixed(key.includes('ms') ? 1 : 0)} | ${p.toFixed(key.includes('ms') ? 1 : 0)} | ${(p / s).toFixed(2)} |`,
  );
}
console.log('');
console.log('| PostgreSQL over HTTP, batch 100, 6 client loops | 1 server | 3 servers | 3 / 1 |');
console.log('|---|---:|---:|---:|');
const { one, three } = results.servers;
console.log(
  `| claim+complete (tasks/s) | ${one.toFixed(0)} | ${three.toFixed(0)} | ${(three / one).toFixed(2)} |`,
);
