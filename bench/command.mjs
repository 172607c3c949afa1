// Command tasks against GNU parallel: 10,000 tasks of /bin/true at 8 at a time, on this machine in
// the same run. bottle: a bottle-server on a temporary SQLite file holds the tasks (submitted before the
// clock starts), ONE bottle-worker -x 8 runs them from a bottle.yaml (each task: its output folder,
// params.json, stdout.log/stderr.log, status.json, one process group) and exits when the queue is empty.
// GNU parallel: `seq N | parallel -j 8 /bin/true {}`. Each side runs `--rounds` times, alternating; the
// median wall time is kept. Run after `pnpm build`: `node bench/command.mjs` (or `--quick`: 2,000 tasks; `--rounds N`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const TASKS = quick ? 2_000 : 10_000;
const SLOTS = 8;
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 3;
const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, '..', 'packages/cli/bin', `${name}.js`);
const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-command-'));
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
writeFileSync(join(dir, 'bottle.yaml'), 'tasks:\n  nothing:\n    command: [/bin/true, "{i}"]\n');

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
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      options.onOutput?.(out);
    });
    child.stderr.setEncoding('utf8').on('data', (c) => (out += c));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    child.once('exit', (code) => {
      children.delete(child);
      resolve({ code, out, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

async function bottleRound(round) {
  const db = join(dir, `round-${round}.db`);
  let ready;
  const url = new Promise((resolve) => (ready = resolve));
  const server = spawn(process.execPath, [bin('bottle-server'), '--db', db, '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(server);
  let text = '';
  server.stdout.setEncoding('utf8').on('data', (c) => {
    text += c;
    const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
    if (match && /tasks queued/.test(text)) ready(match[1]);
  });
  const serverUrl = await url;
  // A fresh output root per round: the tasks are the same, their folders must not be there already.
  const post = await run(process.execPath, [
    bin('bottle'),
    'post',
    'nothing',
    '--grid',
    `i=1..${TASKS}`,
    '--name',
    `r${round}`,
    '--server',
    serverUrl,
  ]);
  if (post.code !== 0) throw new Error(`bottle post failed: ${post.out}`);
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const worker = await run(process.execPath, [bin('bottle-worker'), serverUrl, '-x', String(SLOTS)]);
  server.kill('SIGTERM');
  if (!new RegExp(`${TASKS} done, 0 failed`).test(worker.out)) throw new Error(`worker: ${worker.out}`);
  return worker.seconds;
}

async function parallelRound() {
  const input = Array.from({ length: TASKS }, (_, i) => `${i + 1}\n`).join('');
  const result = await run('parallel', ['-j', String(SLOTS), '/bin/true', '{}'], { input });
  if (result.code !== 0) throw new Error(`parallel exited ${result.code}: ${result.out}`);
  return result.seconds;
}

const hasParallel = spawnSync('sh', ['-c', 'command -v parallel']).status === 0;
const bottle = [];
const parallel = [];
for (let round = 0; round < ROUNDS; round++) {
  bottle.push(await bottleRound(round));
  if (hasParallel) parallel.push(await parallelRound());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const b = median(bottle);
console.log(`${TASKS} tasks of /bin/true, ${SLOTS} at a time, median of ${ROUNDS} round(s)`);
console.log('| runner | wall time | per task | tasks/s |');
console.log('|---|---|---|---|');
const row = (name, s) =>
  console.log(
    `| ${name} | ${s.toFixed(2)} s | ${((s / TASKS) * 1000).toFixed(2)} ms | ${Math.round(TASKS / s)} |`,
  );
row('bottle-worker -x 8 (command task)', b);
if (hasParallel) {
  const p = median(parallel);
  row('GNU parallel -j 8', p);
  console.log(
    `\nbottle / GNU parallel: ${(b / p).toFixed(2)}x (rounds: bottle ${bottle.map((x) => x.toFixed(2)).join(', ')}; parallel ${parallel.map((x) => x.toFixed(2)).join(', ')})`,
  );
} else console.log('\nGNU parallel is not installed (apt-get install parallel): no comparison.');
