// Adaptive sweeps (docs/search.md), two figures:
//  1. tasks to reach a tolerance: on the example function, f(x, y) = (x - a)² + (y - b)² over [-2, 2]²,
//     the tasks each strategy needs until its best is within the tolerance of the optimum (0), against the
//     smallest full n × n grid that gets there; in process, through the local driver (no server: a task
//     count does not depend on one). Twice: with the example's optimum (1.5, -0.5), which lies on the
//     grids that halve [-2, 2], and with one that does not (1.234, -0.567).
//  2. the controller's overhead: the built programs, a bottle-server and ONE bottle-worker -x 16 on no-op
//     tasks; a plain scan of N tasks (submitted in batches of 5,000) against `bottle search` running N
//     tasks with maxParallel 256 (--parallel), from the start of the submit (or of the bottle search process, module
//     load included) to the last completion. The search proposes {n: 0}, {n: 1}, ... so that what is
//     measured is the controller, not a strategy; and the same search run inside `bottle-server -p`
//     (a server and worker of their own). Runs alternate; medians of --repeat runs (default 3).
// Run after `pnpm build`: `node bench/search.mjs [--tasks 10000] [--repeat 3] [--parallel 256] [--quick]`;
// `--cpu-prof DIR` writes V8 CPU profiles of the server, the worker and each controller into DIR.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  gridRefinement,
  localDriver,
  randomSearch,
  resolveSearch,
  runSearch,
} from '../packages/worker/dist/search.js';
import { call, cpuMs, freePort, median, sleep, startProcess } from './_measure.mjs';

const flag = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const TASKS = flag('--tasks', 10_000);
const REPEAT = flag('--repeat', 3);
const PARALLEL = flag('--parallel', 256);
/** A smoke run: the loose tolerance alone. */
const quick = process.argv.includes('--quick');
const profDir = process.argv.includes('--cpu-prof')
  ? process.argv[process.argv.indexOf('--cpu-prof') + 1]
  : undefined;
/** Node's own flags for the programs measured: the profiler when asked for. */
const nodeFlags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, '..', 'packages/cli/bin', `${name}.js`);

console.log(
  `node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

// ---------------------------------------------------------------- 1. tasks to a tolerance

const space = { x: { uniform: [-2, 2] }, y: { uniform: [-2, 2] } };

async function tasksToTolerance(strategy, optimum, tolerance, maxTasks, maxParallel = 1) {
  const [a, b] = optimum;
  const driver = localDriver((_task, p) => ({ loss: (p.x - a) ** 2 + (p.y - b) ** 2 }));
  const search = resolveSearch(
    {
      task: 'f.task',
      objective: { minimize: 'loss' },
      budget: { maxTasks, maxParallel, target: tolerance },
      ...strategy,
    },
    'bench',
  );
  const outcome = await runSearch(search, { driver });
  return outcome.reason === 'target' ? driver.ran.length : null;
}

function fullGrid([a, b], tolerance) {
  for (let n = 2; n <= 2_000; n++) {
    const at = (i) => -2 + (4 * i) / (n - 1);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) best = Math.min(best, (at(i) - a) ** 2 + (at(j) - b) ** 2);
    if (best <= tolerance) return n * n;
  }
  return null;
}

console.log('\ntasks until the best is within the tolerance of the optimum (f = 0)');
console.log(
  'optimum          tolerance  full grid  random (median of 11 seeds)  grid refinement (5 points, shrink 0.5)',
);
for (const optimum of [
  [1.5, -0.5],
  [1.234, -0.567],
]) {
  for (const tolerance of quick ? [1e-2] : [1e-2, 1e-4]) {
    const randoms = [];
    for (let seed = 1; seed <= 11; seed++)
      randoms.push(
        (await tasksToTolerance(randomSearch(space, { seed }), optimum, tolerance, 200_000)) ?? Number.NaN,
      );
    const refined = await tasksToTolerance(
      gridRefinement(space, { points: 5, rounds: 30 }),
      optimum,
      tolerance,
      10_000,
      25,
    );
    console.log(
      `${`(${optimum.join(', ')})`.padEnd(16)} ${String(tolerance).padStart(9)}  ${String(fullGrid(optimum, tolerance)).padStart(9)}  ${String(median(randoms)).padStart(27)}  ${String(refined).padStart(38)}`,
    );
  }
}

// ---------------------------------------------------------------- 2. the controller's overhead

const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-search-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'noop.mjs'),
  `export class Task { run() { return { loss: 0 }; } }
export function search() {
  let n = 0;
  return {
    task: 'Task',
    scan: process.env.BENCH_SCAN,
    objective: { minimize: 'loss' },
    budget: { maxTasks: ${TASKS}, maxParallel: ${PARALLEL} },
    ask: (k) => Array.from({ length: k }, () => ({ n: n++, scan: process.env.BENCH_SCAN })),
    tell: () => {},
  };
}
`,
);

const server = startProcess(
  null,
  [...nodeFlags, bin('bottle-server'), '--db', join(dir, 'bench.db'), '--port', '0'],
  {
    cwd: dir,
  },
);
const [, url] = await server.waitFor(/listening on (http:\/\/[\d.]+:\d+)/);
await server.waitFor(/tasks queued/);
const worker = startProcess(null, [...nodeFlags, bin('bottle-worker'), url, '-x', '16', '--retry-if-empty'], {
  cwd: dir,
});
await worker.waitFor(/working for/);

async function waitDone(scan, at = url) {
  for (;;) {
    const info = await call(at, 'GET', `/v1/scans/${scan}`).catch(() => undefined);
    if (info && info.counts.done + info.counts.failed >= TASKS) return info;
    await sleep(25);
  }
}

async function plain(run) {
  const scan = `plain-${run}`;
  const cpu0 = [cpuMs(server.child.pid), cpuMs(worker.child.pid)];
  const t0 = performance.now();
  for (let first = 0; first < TASKS; first += 5_000) {
    const tasks = [];
    for (let n = first; n < Math.min(TASKS, first + 5_000); n++)
      tasks.push({ task: 'noop.Task', params: { n, scan } });
    await call(url, 'POST', '/v1/tasks', { tasks, scan });
  }
  await waitDone(scan);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = [cpuMs(server.child.pid) - cpu0[0], cpuMs(worker.child.pid) - cpu0[1], 0];
  return { seconds, span: await span(scan), cpu };
}

/** Seconds from the scan's first task start to its last finish, as the store recorded them. */
async function span(scan, at = url) {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let cursor = '';
  do {
    const page = await call(at, 'GET', `/v1/tasks?scan=${scan}&limit=10000${cursor}`);
    for (const task of page.tasks) {
      first = Math.min(first, task.startedAt);
      last = Math.max(last, task.finishedAt);
    }
    cursor = page.nextCursor ? `&cursor=${encodeURIComponent(page.nextCursor)}` : '';
  } while (cursor);
  return (last - first) / 1000;
}

async function searched(run) {
  const scan = `search-${run}`;
  const cpu0 = [cpuMs(server.child.pid), cpuMs(worker.child.pid)];
  const t0 = performance.now();
  const controller = startProcess(
    null,
    [...nodeFlags, bin('bottle'), 'search', 'noop.search', '--server', url, '--json'],
    {
      cwd: dir,
      env: { ...process.env, BENCH_SCAN: scan },
    },
  );
  let controllerCpu = 0;
  // Read while it runs: once it has exited /proc no longer has it.
  const sampler = setInterval(() => {
    controllerCpu = Math.max(controllerCpu, cpuMs(controller.child.pid));
  }, 50);
  const code = await new Promise((resolve) => controller.child.once('exit', resolve));
  clearInterval(sampler);
  const cpu = [cpuMs(server.child.pid) - cpu0[0], cpuMs(worker.child.pid) - cpu0[1], controllerCpu];
  const ended = Date.now();
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`bottle search exited ${code}: ${controller.output()}`);
  const info = await waitDone(scan);
  if (info.counts.done !== TASKS) throw new Error(`search ran ${info.counts.done} tasks, not ${TASKS}`);
  // The scan is created by the first submit: from there on, the controller's start-up is behind it.
  return { seconds, fromFirstSubmit: (ended - info.createdAt) / 1000, span: await span(scan), cpu };
}

// 3. The same search inside `bottle-server -p noop.search`: a second server on a port of its own,
// with its own worker. Each run starts that server again with a new scan name (the worker reconnects),
// so what is compared is the span from the first task start to the last finish, start-up left out.
const inPort = await freePort();
const inUrl = `http://127.0.0.1:${inPort}`;
let inServer;
async function startInServer(scan) {
  inServer = startProcess(
    null,
    [...nodeFlags, bin('bottle-server'), '--db', join(dir, 'in-server.db'), '--port', String(inPort)].concat([
      '-p',
      'noop.search',
    ]),
    { cwd: dir, env: { ...process.env, BENCH_SCAN: scan } },
  );
  await inServer.waitFor(/tasks queued/);
}
await startInServer('in-server-warm');
const inWorker = startProcess(
  null,
  [...nodeFlags, bin('bottle-worker'), inUrl, '-x', '16', '--retry-if-empty'],
  { cwd: dir },
);
await waitDone('in-server-warm', inUrl);

async function inServerSearch(run) {
  const scan = `in-server-${run}`;
  await inServer.stop();
  await startInServer(scan);
  const info = await waitDone(scan, inUrl);
  if (info.counts.done !== TASKS) throw new Error(`search ran ${info.counts.done} tasks, not ${TASKS}`);
  return { span: await span(scan, inUrl), cpu: [cpuMs(inServer.child.pid), cpuMs(inWorker.child.pid)] };
}

// One of each first, to warm the worker's task processes and the module loads.
await plain('warm');
await searched('warm');
const plainRuns = [];
const searchRuns = [];
const inServerRuns = [];
for (let run = 0; run < REPEAT; run++) {
  plainRuns.push(await plain(run));
  searchRuns.push(await searched(run));
  inServerRuns.push(await inServerSearch(run));
}
const row = (runs) => `${runs.map((s) => s.toFixed(2)).join(', ')}  median ${median(runs).toFixed(2)}`;
console.log(
  `\n${TASKS} no-op tasks, one worker -x 16, maxParallel ${PARALLEL}: seconds from the start to the last completion`,
);
const cpuRow = (runs) =>
  ['server', 'worker', 'controller']
    .map((who, i) => `${who} ${((median(runs.map((r) => r.cpu[i])) * 1000) / TASKS).toFixed(0)} µs`)
    .join(', ');
console.log(`CPU per task (medians), plain scan: ${cpuRow(plainRuns)}`);
console.log(`CPU per task (medians), bottle search (its start-up included): ${cpuRow(searchRuns)}`);
console.log(
  `CPU per task (medians), search in the server: server ${((median(inServerRuns.map((r) => r.cpu[0])) * 1000) / TASKS).toFixed(0)} µs (its start-up included)`,
);
const spanRow = (runs) => row(runs.map((r) => r.span));
console.log("first task start to last finish (the store's times):");
console.log(`  plain scan:             ${spanRow(plainRuns)}`);
console.log(`  bottle search:          ${spanRow(searchRuns)}`);
console.log(`  search in the server:   ${spanRow(inServerRuns)}`);
const spanRatio = (runs) =>
  (median(runs.map((r) => r.span)) / median(plainRuns.map((r) => r.span))).toFixed(2);
console.log(
  `  ratio to the plain scan (medians): bottle search ${spanRatio(searchRuns)}, in the server ${spanRatio(inServerRuns)}`,
);
plainRuns.splice(0, plainRuns.length, ...plainRuns.map((r) => r.seconds));
const whole = searchRuns.map((r) => r.seconds);
const fromSubmit = searchRuns.map((r) => r.fromFirstSubmit);
console.log(`plain scan:                                        ${row(plainRuns)}`);
console.log(`bottle search, from its start (node, module load): ${row(whole)}`);
console.log(`bottle search, from its first submit:              ${row(fromSubmit)}`);
const ratio = (runs) => (median(runs) / median(plainRuns)).toFixed(2);
console.log(
  `ratio to the plain scan (medians): ${ratio(whole)} from its start, ${ratio(fromSubmit)} from its first submit`,
);
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await inWorker.stop();
await inServer.stop();
await worker.stop();
await server.stop();
