// End-to-end benchmark: the built programs as a user runs them. A bottle-server on a temporary SQLite
// file, ONE bottle-worker process, no-op tasks.
//  1. throughput at -x 1 and -x 64: tasks per second from the first submit to the last completion,
//     and the CPU time per task of the worker process (and of its task processes), from /proc;
//  2. idle dispatch latency: one task submitted to an idle worker waiting with --retry-if-empty,
//     until its run() starts (the task stamps performance.timeOrigin + now() into its result).
// Run after `pnpm build`: `node bench/end-to-end.mjs` (a few minutes on 2 cores) or `--quick`.
// `--isolation process,thread,none` measures each mode in turn (default: process); `--processes N`
// is passed to the worker. `--profile` runs the worker (and server) with --cpu-prof into
// bench/out/profiles/.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskKey } from '../packages/protocol/dist/index.js';
import { call, cpuMs, sleep, startProcess } from './_measure.mjs';

const quick = process.argv.includes('--quick');
const flag = (name) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const isolations = (flag('--isolation') ?? 'process').split(',');
const processes = flag('--processes');
const profile = process.argv.includes('--profile');
const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, '..', 'packages/cli/bin', `${name}.js`);
const runs = quick
  ? [
      { slots: 1, tasks: 1_000 },
      { slots: 100, tasks: 5_000 },
    ]
  : [
      { slots: 1, tasks: 5_000 },
      { slots: 100, tasks: 20_000 },
    ];
const LATENCY_SAMPLES = quick ? 50 : 200;
const SUBMIT_BATCH = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-e2e-'));
const profiles = join(here, 'out', 'profiles');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'noop.mjs'),
  [
    'export class Task { run() { return null; } }',
    '// The run start, on the same clock as the submitter (wall clock, sub-millisecond).',
    'export class Stamp { run() { return { t: performance.timeOrigin + performance.now() }; } }',
    '',
  ].join('\n'),
);

function start(name, args, label) {
  const execArgv = profile
    ? ['--cpu-prof', '--cpu-prof-dir', profiles, '--cpu-prof-name', `${label}.cpuprofile`]
    : [];
  return startProcess(null, [...execArgv, bin(name), ...args], { cwd: dir });
}

/** The task processes of a worker (its child processes). */
function childPids(pid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {}
  }
  return found;
}

// The default isolation is not named, so that this script also measures builds that predate the flag.
const workerArgs = (isolation) => [
  ...(isolation === 'process' ? [] : ['--isolation', isolation]),
  ...(processes === undefined ? [] : ['--processes', processes]),
];

async function throughput(url, serverPid, { slots, tasks, isolation }) {
  const scan = `noop-x${slots}-${isolation}`;
  const worker = start(
    'bottle-worker',
    [url, '-x', String(slots), '--retry-if-empty', ...workerArgs(isolation)],
    `worker-x${slots}-${isolation}`,
  );
  await worker.waitFor(/working for/);
  // The worker is waiting in its long-poll; warm it up with one task so that its first task process
  // has loaded the module (the others start during the run, as they would for a user).
  await call(url, 'POST', '/v1/tasks', {
    tasks: [{ task: 'noop.Task', params: { warm: slots, isolation } }],
    scan: `${scan}-warm`,
  });
  while ((await call(url, 'GET', `/v1/scans/${scan}-warm`)).counts.done < 1) await sleep(10);

  const pid = worker.child.pid;
  const before = cpuMs(pid);
  const serverBefore = cpuMs(serverPid);
  const t0 = performance.now();
  for (let first = 0; first < tasks; first += SUBMIT_BATCH) {
    const batch = [];
    for (let n = first; n < Math.min(tasks, first + SUBMIT_BATCH); n++)
      batch.push({ task: 'noop.Task', params: { n, slots, isolation } });
    await call(url, 'POST', '/v1/tasks', { tasks: batch, scan });
  }
  const submitted = performance.now() - t0;
  let info;
  for (;;) {
    info = await call(url, 'GET', `/v1/scans/${scan}`);
    if (info.counts.done + info.counts.failed >= tasks) break;
    // Polling costs the server CPU too: often enough for the precision wanted, no more.
    await sleep(25);
  }
  const seconds = (performance.now() - t0) / 1000;
  const workerCpu = cpuMs(pid) - before;
  const serverCpu = cpuMs(serverPid) - serverBefore;
  const taskCpu = childPids(pid).reduce((sum, child) => sum + cpuMs(child), 0);
  await worker.stop();
  if (info.counts.failed > 0)
    throw new Error(`${info.counts.failed} no-op tasks failed:\n${worker.output()}`);
  return {
    isolation,
    slots,
    tasks,
    seconds,
    perSecond: tasks / seconds,
    submitSeconds: submitted / 1000,
    workerCpuUsPerTask: (workerCpu * 1000) / tasks,
    taskProcessesCpuUsPerTask: (taskCpu * 1000) / tasks,
    serverCpuUsPerTask: (serverCpu * 1000) / tasks,
  };
}

async function idleLatency(url, isolation) {
  const worker = start(
    'bottle-worker',
    [url, '-x', '1', '--retry-if-empty', ...workerArgs(isolation)],
    `worker-latency-${isolation}`,
  );
  await worker.waitFor(/working for/);
  const samples = [];
  for (let i = -5; i < LATENCY_SAMPLES; i++) {
    const params = { i, nonce: Math.random() };
    const key = taskKey('noop.Stamp', params);
    // Let the worker settle back into its long-poll claim.
    await sleep(30);
    const submittedAt = performance.timeOrigin + performance.now();
    await call(url, 'POST', '/v1/tasks', {
      tasks: [{ task: 'noop.Stamp', params }],
      scan: `latency-${isolation}`,
    });
    let task;
    for (;;) {
      ({ task } = await call(url, 'GET', `/v1/tasks/${key}`));
      if (task.state === 'done') break;
      await sleep(2);
    }
    if (i >= 0) samples.push(task.result.t - submittedAt); // the first five warm the path up
  }
  await worker.stop();
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { samples: samples.length, p50: at(0.5), p99: at(0.99), max: samples.at(-1) };
}

if (profile) mkdirSync(profiles, { recursive: true });
const server = start('bottle-server', ['--db', join(dir, 'bench.db'), '--port', '0'], 'server');
const [, url] = await server.waitFor(/listening on (http:\/\/[\d.]+:\d+)/);
await server.waitFor(/tasks queued/);

console.log(`end to end, ${quick ? 'quick' : 'full'} run: node ${process.version}, ${cpus().length} CPUs`);
console.log(
  'isolation  slots  tasks  seconds  tasks/s  worker CPU/task  task-process CPU/task  server CPU/task',
);
for (const isolation of isolations) {
  for (const run of runs) {
    const r = await throughput(url, server.child.pid, { ...run, isolation });
    console.log(
      `${r.isolation.padEnd(9)}  ${String(r.slots).padStart(5)}  ${String(r.tasks).padStart(5)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.perSecond.toFixed(0).padStart(7)}  ${`${r.workerCpuUsPerTask.toFixed(0)} µs`.padStart(15)}  ${`${r.taskProcessesCpuUsPerTask.toFixed(0)} µs`.padStart(21)}  ${`${r.serverCpuUsPerTask.toFixed(0)} µs`.padStart(15)}`,
    );
  }
}
for (const isolation of isolations) {
  const latency = await idleLatency(url, isolation);
  console.log(
    `idle dispatch latency (${isolation}) over ${latency.samples} submits: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms`,
  );
}
await server.stop();
if (profile) console.log(`profiles in ${profiles}`);
