// bottle against its peers, side by side in one run: the same no-op workload through bottle, BullMQ
// and graphile-worker, each configuration run several times with the systems interleaved, and one
// table of medians with the ratios bottle ÷ peer. Only ratios within one run mean anything: this
// machine's absolute figures swing between runs.
//
//   node bench/compare.mjs                  # full: 3 runs, 20,000 tasks, 200 latency samples
//   node bench/compare.mjs --quick          # smoke run: small counts, 1 run
//   options: --only bottle,bullmq,graphile --runs N --tasks N --samples N --claims 1000,8000 --cpu-seconds S
//            --wide N (the many-at-a-time concurrency, default 100)
import { execSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { median, now, Skip } from './_measure.mjs';

const SYSTEMS = {
  bottle: () => import('./peers/bottle.mjs'),
  bullmq: () => import('./peers/bullmq.mjs'),
  graphile: () => import('./peers/graphile.mjs'),
};

const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    tasks: { type: 'string' },
    samples: { type: 'string' },
    claims: { type: 'string' },
    'cpu-seconds': { type: 'string' },
    wide: { type: 'string' },
  },
});
const q = flags.quick;
const options = {
  runs: Number(flags.runs ?? (q ? 1 : 3)),
  wide: Number(flags.wide ?? 100), // the many-at-a-time concurrency
  tasks: Number(flags.tasks ?? (q ? 1_000 : 20_000)),
  samples: Number(flags.samples ?? (q ? 30 : 200)),
  claims: (flags.claims ?? (q ? '1000' : '1000,8000')).split(',').filter(Boolean).map(Number),
  cpuSeconds: Number(flags['cpu-seconds'] ?? (q ? 2 : 10)),
};
const only = flags.only ? flags.only.split(',') : Object.keys(SYSTEMS);
for (const name of only) if (!SYSTEMS[name]) throw new TypeError(`--only: unknown system "${name}"`);

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function format(measure, r) {
  if (measure === 'latency') return `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`;
  if (measure.startsWith('claims')) return `${fmt(r.cpuPercent, 3)} % CPU / ${fmt(r.fanoutMs)} ms`;
  return fmt(r.value);
}

const started = now();
const elapsed = () => `${((now() - started) / 1000).toFixed(0)} s`;
const progress = (line) => process.stderr.write(`[${elapsed()}] ${line}\n`);

const opened = [];
for (const name of only) opened.push(await (await SYSTEMS[name]()).open(options));
const cases = opened.flatMap((o) => o.cases);
for (const c of cases) {
  c.results = [];
  if (c.skip) progress(`skipped: ${c.system}, ${c.measure}: ${c.skip}`);
}

/** One case once; a Skip marks the row, any other error is printed and leaves the run out. */
async function runOnce(c) {
  try {
    const result = await c.run();
    c.results.push(result);
    progress(`${c.measure} ${c.system}: ${format(c.measure, result)}`);
  } catch (error) {
    if (error instanceof Skip) {
      c.skip = error.message;
      progress(`skipped: ${c.system}, ${c.measure}: ${c.skip}`);
    } else {
      c.error = error.message.split('\n')[0];
      progress(`FAILED ${c.measure} ${c.system}: ${error.stack}`);
    }
  }
}

// ---------------------------------------------------------------- the table

const measures = [...new Set(cases.map((c) => c.measure))];

/** The median result of a case (each field's median over the runs) and the range of the main field. */
function summary(c) {
  if (c.results.length === 0) return null;
  const fields = Object.keys(c.results[0]);
  const mid = Object.fromEntries(fields.map((f) => [f, median(c.results.map((r) => r[f]))]));
  const main = c.results.map((r) => r[fields[0]]);
  return { mid, min: Math.min(...main), max: Math.max(...main) };
}

const times = (r) => `${r >= 10 ? fmt(r) : r >= 0.1 ? fmt(r, 2) : r.toPrecision(2)}×`;

function ratio(measure, bottle, peer) {
  if (!bottle || !peer) return '';
  if (measure === 'latency')
    return `${times(bottle.mid.p50 / peer.mid.p50)} / ${times(bottle.mid.p99 / peer.mid.p99)}`;
  return times(bottle.mid.value / peer.mid.value);
}

// A ratio column per peer, when there are bottle rows to compare.
const peers = cases.some((c) => !c.peer) ? [...new Set(cases.filter((c) => c.peer).map((c) => c.peer))] : [];

function cellOf(c) {
  const s = summary(c);
  if (!s) return c.skip ? `skipped: ${c.skip}` : c.error ? `failed: ${c.error}` : 'not run';
  let cell = format(c.measure, s.mid);
  if (c.results.length > 1 && !c.measure.startsWith('claims'))
    cell += ` (${fmt(s.min, c.measure === 'latency' ? 1 : 0)}–${fmt(s.max, c.measure === 'latency' ? 1 : 0)})`;
  return c.error ? `${cell}; a run failed: ${c.error}` : cell;
}

function titleOf(measure) {
  if (measure.startsWith('claims'))
    return `${fmt(Number(measure.slice(7)))} idle claims: server CPU / one submit until all answered`;
  if (measure === 'latency') return 'idle dispatch p50 / p99 (ms)';
  return `throughput, ${measure.slice(1)} at a time (tasks/s)`;
}

const git = (command) => {
  try {
    return execSync(`git ${command}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const loadAtStart = load();
// The code measured is the code at the start: later commits do not change the running processes.
const commit = `${git('rev-parse --short HEAD')}${git('status --porcelain --untracked-files=no') ? ' (with uncommitted changes)' : ''}`;

/** The report: the machine, the commit, the command, then one row per system and measure. */
function report(roundsDone) {
  const command = `node bench/compare.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const lines = [
    `## bottle against its peers: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- machine: nproc ${availableParallelism()}, ${cpus()[0]?.model ?? '?'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}; load average ${loadAtStart} at the start, ${load()} at the end`,
    `- commit: ${commit}`,
    `- command: \`${command}\``,
    `- ${roundsDone} of ${options.runs} run(s) of each row, interleaved, in ${elapsed()}; median (range of the first figure); ${fmt(options.tasks)} no-op tasks per throughput run, ${options.samples} latency samples; ratios are bottle ÷ peer (for latency, lower is better)`,
    '',
  ];
  const header = ['measure', 'system', 'median', ...peers.map((p) => `bottle ÷ ${p}`)];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const measure of measures) {
    const group = cases.filter((c) => c.measure === measure);
    for (const c of group) {
      const ratios = peers.map((p) => {
        const peer = group.find((g) => g.peer === p);
        return c.peer || !peer ? '' : ratio(measure, summary(c), summary(peer));
      });
      lines.push(`| ${[titleOf(measure), c.system, cellOf(c), ...ratios].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

// Interleaved: each round runs every measure once per system, starting with a different system.
for (let round = 0; round < options.runs; round++) {
  for (const measure of measures) {
    const group = cases.filter((c) => c.measure === measure && !c.skip);
    for (let i = 0; i < group.length; i++) await runOnce(group[(i + round) % group.length]);
  }
  // A table after each round: a run stopped early still leaves its figures.
  if (round < options.runs - 1) process.stderr.write(`\n${report(round + 1)}\n\n`);
}
for (const o of opened) await o.close();

console.log(`\n${report(options.runs)}\n\ntotal time: ${elapsed()}`);
process.exitCode = cases.some((c) => c.error) ? 1 : 0;
