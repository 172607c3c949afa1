// Progress reads at scale: `GET /v1/scans` (what `bottle status` and each dashboard update read) with
// 10^6 tasks in the store, against the GROUP BY over the tasks table it replaced, measured in the same
// run; and what the triggers that keep the counts cost submit and claim+complete, against the same
// store with those triggers dropped.
// Run after `pnpm build`: `node bench/dashboard.mjs` (about 2 minutes on 2 cores) or `--quick` (100k).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, startBottleServer } from '../packages/server/dist/index.js';

const quick = process.argv.includes('--quick');
// `--reads` or `--triggers` runs one half alone.
const reads = !process.argv.includes('--triggers');
const triggers = !process.argv.includes('--reads');
const BIG = quick ? 100_000 : 1_000_000;
const SCANS = 4;
const THROUGHPUT = quick ? 20_000 : 100_000; // tasks submitted, claimed and completed per trigger measurement
const BATCH = 100;
const REPEAT = 30;

const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-dash-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function specs(from, count, scan) {
  return Array.from({ length: count }, (_, i) => ({
    task: 'bench/sim.task',
    params: { i: from + i, lr: 0.001 * ((from + i) % 97) },
    scan,
  }));
}

async function fill(store, count) {
  for (let offset = 0; offset < count; offset += 50_000) {
    const n = Math.min(50_000, count - offset);
    await store.submit({ tasks: specs(offset, n, `scan-${(offset / 50_000) % SCANS}`) });
  }
}

/** Median milliseconds of `fn` over REPEAT runs. */
async function median(fn) {
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function claimComplete(store, total) {
  const started = performance.now();
  for (let done = 0; done < total; done += BATCH) {
    const claimed = await store.claim({ workerId: 'bench', host: 'bench', max: BATCH, waitMs: 0 });
    await store.report(
      'bench',
      claimed.map((t, i) =>
        i % 10 === 9
          ? { outcome: 'failed', key: t.key, leaseToken: t.leaseToken, error: 'e', retryable: false }
          : { outcome: 'done', key: t.key, leaseToken: t.leaseToken, result: { x: i } },
      ),
    );
  }
  return total / ((performance.now() - started) / 1000);
}

async function throughput(name, dropTriggers) {
  const store = new SqliteStore(join(dir, `${name}.db`));
  if (dropTriggers) {
    for (const { name: trigger } of store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
      .all()) {
      store.db.exec(`DROP TRIGGER ${trigger}`);
    }
  }
  let started = performance.now();
  await fill(store, THROUGHPUT);
  const submitRate = THROUGHPUT / ((performance.now() - started) / 1000);
  started = performance.now();
  const completeRate = await claimComplete(store, THROUGHPUT);
  await store.close();
  return { submitRate, completeRate };
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}`);

if (reads) await measureReads();
if (triggers) await measureTriggers();

async function measureReads() {
  const path = join(dir, 'big.db');
  const store = new SqliteStore(path);
  const started = performance.now();
  await fill(store, BIG);
  console.log(
    `filled ${BIG} tasks in ${SCANS} scans in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await claimComplete(store, quick ? 10_000 : 50_000);
  await store.claim({ workerId: 'holder', host: 'h', max: 200 });
  await store.close();

  const server = await startBottleServer({ db: path, port: 0, logger: { info() {}, warn() {}, error() {} } });
  const kept = await median(() => server.store.listScans());
  const one = await median(() => server.store.getScan('scan-1'));
  const http = await median(async () => (await fetch(`${server.url}/v1/scans`)).json());
  // The dashboard's task pages: the first page of a scan, of a scan and state, a page deep in the
  // queue (keyset cursor), a key prefix, and the workers.
  const pageQueries = {
    'first page of a scan': { scan: 'scan-2' },
    'first page of a scan, state done': { scan: 'scan-1', state: 'done' },
    'first page of a state (failed)': { state: 'failed' },
    'page at 90% of the queue (cursor)': { cursor: String(Math.floor(BIG * 0.9)) },
    'key prefix (4 hex digits)': { key: 'abcd' },
  };
  const pages = {};
  for (const [name, filter] of Object.entries(pageQueries)) {
    const query = new URLSearchParams({ limit: '50', ...filter });
    pages[name] = [
      await median(() => server.store.listTasks({ limit: 50, ...filter })),
      await median(async () => (await fetch(`${server.url}/v1/tasks?${query}`)).json()),
    ];
  }
  pages['workers'] = [
    await median(() => server.store.listWorkers()),
    await median(async () => (await fetch(`${server.url}/v1/workers`)).json()),
  ];
  const groupBy = server.store.db.prepare(
    'SELECT scan, state, count(*) AS n FROM tasks GROUP BY scan, state',
  );
  const old = await median(() => groupBy.all());
  await server.close();

  console.log(`\nprogress reads with ${BIG} tasks (median of ${REPEAT}, ms)`);
  console.log('| read | ms |');
  console.log('|---|---|');
  console.log(`| listScans (kept counts) | ${kept.toFixed(2)} |`);
  console.log(`| getScan (kept counts) | ${one.toFixed(2)} |`);
  console.log(`| GET /v1/scans over HTTP (client side, whole round trip) | ${http.toFixed(2)} |`);
  console.log(`| GROUP BY over tasks (the read it replaced) | ${old.toFixed(2)} |`);
  console.log(`| ratio GROUP BY / listScans | ${(old / kept).toFixed(0)} |`);
  console.log(`\ndashboard reads with ${BIG} tasks, 50 tasks a page (median of ${REPEAT}, ms)`);
  console.log('| read | store | over HTTP, whole round trip |');
  console.log('|---|---|---|');
  for (const [name, [store, http]] of Object.entries(pages)) {
    console.log(`| ${name} | ${store.toFixed(2)} | ${http.toFixed(2)} |`);
  }
}

async function measureTriggers() {
  // Interleaved rounds, the best of each: the machine's load drifts during a run.
  const without = { submitRate: 0, completeRate: 0 };
  const withTriggers = { submitRate: 0, completeRate: 0 };
  for (let round = 0; round < 3; round++) {
    for (const [best, drop] of [
      [without, true],
      [withTriggers, false],
    ]) {
      const rates = await throughput(`${drop ? 'without' : 'with'}-${round}`, drop);
      best.submitRate = Math.max(best.submitRate, rates.submitRate);
      best.completeRate = Math.max(best.completeRate, rates.completeRate);
    }
  }
  console.log(
    `\ntrigger cost: ${THROUGHPUT} tasks submitted, then claimed and reported in batches of ${BATCH} (tasks/s, best of 3 interleaved rounds)`,
  );
  console.log('| store | submit | claim+report |');
  console.log('|---|---|---|');
  console.log(`| triggers dropped | ${without.submitRate.toFixed(0)} | ${without.completeRate.toFixed(0)} |`);
  console.log(
    `| with triggers | ${withTriggers.submitRate.toFixed(0)} | ${withTriggers.completeRate.toFixed(0)} |`,
  );
  console.log(
    `| ratio with / dropped | ${(withTriggers.submitRate / without.submitRate).toFixed(2)} | ${(withTriggers.completeRate / without.completeRate).toFixed(2)} |`,
  );
}
