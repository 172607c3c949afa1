// Claims with resources and labels: 10^6 queued tasks (SQLite, or PostgreSQL with --postgres URL),
// then claims of 100 tasks each until 20,000 are leased (or the queue has nothing more for the
// worker). Queues:
// - plain: no task asks anything (the claim's path before resources: the baseline);
// - mixed: half ask nothing, the rest spread over four shapes (gpus=1; gpus=2 with cuda12;
//   cpus=4 with memory=8GiB; gpus=1 with memory=16GiB), interleaved;
// - gpu-first: the first half all ask gpus=1, then tasks that ask nothing.
// Workers: `none` declares nothing; `cpu` has cpus=16 and 64 GiB; `gpu` has that, gpus=8 and cuda12.
// Run after `pnpm build`: `node bench/resources.mjs` (`--quick`: 10^5 queued).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../packages/server/dist/index.js';

const QUEUED = process.argv.includes('--quick') ? 100_000 : 1_000_000;
const CLAIMED = 20_000;
const BATCH = 100;
const GIB = 1024 ** 3;
const postgresAt = process.argv.indexOf('--postgres');
const postgresUrl = postgresAt > 0 ? process.argv[postgresAt + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-resources-'));

const SHAPES = [
  {},
  { resources: { gpus: 1 } },
  {},
  { resources: { gpus: 2 }, needs: ['cuda12'] },
  {},
  { resources: { cpus: 4, memory: 8 * GIB } },
  {},
  { resources: { gpus: 1, memory: 16 * GIB } },
];
const queues = {
  plain: () => ({}),
  mixed: (i) => SHAPES[i % SHAPES.length],
  'gpu-first': (i) => (i < QUEUED / 2 ? { resources: { gpus: 1 } } : {}),
};
const cpu = { resources: { cpus: 16, memory: 64 * GIB } };
const workers = {
  none: {},
  cpu,
  gpu: { resources: { ...cpu.resources, gpus: 8 }, labels: ['cuda12'] },
};

let schemas = 0;
async function openStore(label) {
  if (!postgresUrl) return new SqliteStore(join(dir, `${label}.db`));
  const { PostgresStore } = await import('../packages/server/dist/postgres.js');
  const store = new PostgresStore({ connectionString: postgresUrl, schema: `bench_resources_${++schemas}` });
  await store.ready();
  return store;
}

async function fill(label, needsOf) {
  const store = await openStore(label);
  for (let start = 0; start < QUEUED; start += 50_000) {
    const tasks = [];
    for (let i = start; i < Math.min(QUEUED, start + 50_000); i++)
      tasks.push({ task: 'bench.task', params: { i }, ...needsOf(i) });
    await store.submit({ scan: label, tasks });
  }
  return store;
}

async function claimAll(store, queue, name) {
  const worker = workers[name];
  const started = performance.now();
  let leased = 0;
  let claims = 0;
  while (leased < CLAIMED) {
    const [tasks = []] = await store.claim([{ workerId: name, host: 'h', max: BATCH, waitMs: 0, ...worker }]);
    claims++;
    leased += tasks.length;
    if (tasks.length === 0) break;
  }
  const ms = performance.now() - started;
  console.log(
    `${queue.padEnd(10)} ${String(QUEUED).padStart(7)} queued, worker ${name.padEnd(4)}: ${String(leased).padStart(5)} leased in ${claims} claims, ${ms.toFixed(0)} ms (${(ms / claims).toFixed(2)} ms per claim)`,
  );
}

try {
  for (const [queue, needsOf] of Object.entries(queues)) {
    const store = await fill(queue, needsOf);
    for (const name of queue === 'plain' ? ['none', 'cpu'] : ['none', 'cpu', 'gpu'])
      await claimAll(store, queue, name);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
