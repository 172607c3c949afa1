// Command tasks against GNU parallel, on this machine in the same run, 8 at a time. Rows:
//   - 10,000 tasks of /bin/true (the cost of a task and nothing else);
//   - 2,000 tasks of `sleep 0.01` (10-ms tasks: the queue keeps 8 slots busy or it does not);
//   - with --large, 100,000 tasks of /bin/true (a long sweep: steady, and no lease lost).
// bottle: a bottle-server on a temporary SQLite file holds the tasks (submitted before the clock starts),
// ONE bottle-worker -x 8 runs them from a bottle.yaml (each task: its output folder, params.json,
// stdout.log/stderr.log, status.json, one process group) and exits when the queue is empty. The server's
// log is read for `lease.lost` warnings. GNU parallel: `seq N | parallel -j 8 /bin/true {}` (and
// `parallel -j 8 -N0 sleep 0.01`). The two sides alternate, and which goes first alternates each round;
// each row reports the median and the min–max of an odd number of rounds, and the load average before
// and after. Run after `pnpm build`: `node bench/command.mjs [--rounds 5] [--large] [--quick] [--only nap]`
// (--quick: 2,000 and 500 tasks, one round; --only nothing|nap: that row alone).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './_measure.mjs';

const quick = process.argv.includes('--quick');
const large = process.argv.includes('--large');
const SLOTS = 8;
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 5;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS % 2 === 0) {
  console.error(`--rounds must be an odd count (a median of an even count is no round's figure): ${ROUNDS}`);
  process.exit(2);
}
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const allRows = [
  { name: '/bin/true', task: 'nothing', tasks: quick ? 2_000 : 10_000, parallel: ['/bin/true', '{}'] },
  { name: 'sleep 0.01', task: 'nap', tasks: quick ? 500 : 2_000, parallel: ['-N0', 'sleep', '0.01'] },
  ...(large
    ? [{ name: '/bin/true', task: 'nothing', tasks: 100_000, parallel: ['/bin/true', '{}'], rounds: 1 }]
    : []),
];
const rows = allRows.filter((row) => only === undefined || row.task === only);
if (rows.length === 0) {
  console.error(`--only takes a row's task: nothing or nap (${only})`);
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, '..', 'packages/cli/bin', `${name}.js`);
const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-command-'));
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
writeFileSync(
  join(dir, 'bottle.yaml'),
  'tasks:\n  nothing:\n    command: [/bin/true, "{i}"]\n  nap:\n    command: [sleep, "0.01"]\n',
);

function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DEBUG: '' },
    });
    children.add(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (out += c));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    child.once('exit', (code) => {
      children.delete(child);
      resolve({ code, out, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

/** One bottle round: the wall time of the worker, and the lease keys the server called lost. */
async function bottleRound(row, round) {
  const db = join(dir, `round-${round}.db`);
  rmSync(db, { force: true });
  let ready;
  const url = new Promise((resolve) => (ready = resolve));
  const server = spawn(process.execPath, [bin('bottle-server'), '--db', db, '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(server);
  let log = '';
  const read = (c) => {
    log += c;
    const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(log);
    if (match && /tasks queued/.test(log)) ready(match[1]);
  };
  server.stdout.setEncoding('utf8').on('data', read);
  server.stderr.setEncoding('utf8').on('data', read);
  const serverUrl = await url;
  const post = await run(process.execPath, [
    bin('bottle'),
    'post',
    row.task,
    '--grid',
    `i=1..${row.tasks}`,
    '--name',
    `r${round}`,
    '--server',
    serverUrl,
  ]);
  if (post.code !== 0) throw new Error(`bottle post failed: ${post.out}`);
  // A fresh output root per round: the tasks are the same, their folders must not be there already.
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const worker = await run(process.execPath, [bin('bottle-worker'), serverUrl, '-x', String(SLOTS)]);
  const closed = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await closed;
  children.delete(server);
  rmSync(db, { force: true });
  if (!new RegExp(`${row.tasks} done, 0 failed`).test(worker.out)) throw new Error(`worker: ${worker.out}`);
  let lost = 0;
  for (const match of log.matchAll(/lost (\d+) lease\(s\)/g)) lost += Number(match[1]);
  return { seconds: worker.seconds, lost };
}

async function parallelRound(row) {
  const input = Array.from({ length: row.tasks }, (_, i) => `${i + 1}\n`).join('');
  const result = await run('parallel', ['-j', String(SLOTS), ...row.parallel], { input });
  if (result.code !== 0) throw new Error(`parallel exited ${result.code}: ${result.out}`);
  return result.seconds;
}

const hasParallel = spawnSync('sh', ['-c', 'command -v parallel']).status === 0;
if (!hasParallel) console.log('GNU parallel is not installed (apt-get install parallel): no comparison.\n');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
console.log(`load average before: ${load()}`);
const results = [];
let round = 0;
for (const row of rows) {
  const rounds = row.rounds ?? ROUNDS;
  const bottle = [];
  const parallel = [];
  let lost = 0;
  for (let r = 0; r < rounds; r++) {
    const sides = [
      async () => {
        const result = await bottleRound(row, round++);
        bottle.push(result.seconds);
        lost += result.lost;
      },
      ...(hasParallel ? [async () => parallel.push(await parallelRound(row))] : []),
    ];
    if (r % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
  results.push({ row, rounds, bottle, parallel, lost });
}
console.log(`load average after: ${load()}\n`);

const seconds = (xs) =>
  `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const spread = (xs) => `${(Math.max(...xs) - Math.min(...xs)).toFixed(2)} s`;
console.log(
  `${SLOTS} at a time; median (min–max) of the rounds and their spread (max − min), bottle and GNU parallel alternating`,
);
console.log(
  '| tasks | rounds | bottle-worker -x 8 | GNU parallel -j 8 | bottle / parallel | spread: bottle / parallel | lease.lost |',
);
console.log('|---|---|---|---|---|---|---|');
for (const { row, rounds, bottle, parallel, lost } of results) {
  const has = parallel.length > 0;
  const ratio = has ? `${(median(bottle) / median(parallel)).toFixed(2)}×` : '—';
  console.log(
    `| ${row.tasks.toLocaleString('en')} × \`${row.name}\` | ${rounds} | ${seconds(bottle)} | ${has ? seconds(parallel) : '—'} | ${ratio} | ${spread(bottle)} / ${has ? spread(parallel) : '—'} | ${lost} |`,
  );
}
console.log('\nrounds (s):');
for (const { row, bottle, parallel } of results) {
  const list = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(`- ${row.tasks} × ${row.name}: bottle ${list(bottle)}; parallel ${list(parallel)}`);
}
