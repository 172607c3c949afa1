// The side-by-side benchmark in a smoke run: bottle alone, tiny counts. It checks that the harness
// drives the built bins end to end and prints a well-formed table; the figures are not judged.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const compare = fileURLToPath(new URL('./compare.mjs', import.meta.url));
const args = ['--quick', '--only', 'bottle', '--tasks', '20', '--wide', '2', '--samples', '3'];
args.push('--claims', '20', '--cpu-seconds', '0.2');

function run(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [compare, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const cells = (line: string) =>
  line
    .slice(1, -1)
    .split(' | ')
    .map((cell) => cell.trim());

test('compare.mjs --quick --only bottle prints one row per measure and mode, with the machine', async () => {
  const { code, stdout, stderr } = await run();
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^- machine: nproc \d+, .+ GiB, node v\d+/m);
  expect(stdout).toMatch(/^- commit: [0-9a-f]{7,}/m);
  expect(stdout).toContain(`- command: \`node bench/compare.mjs ${args.join(' ')}\``);

  const table = stdout.split('\n').filter((line) => line.startsWith('|'));
  expect(cells(table[0] ?? '')).toEqual(['measure', 'system', 'median']);
  expect(table[1]).toBe('|---|---|---:|');
  const rows = table.slice(2).map((line) => {
    const row = cells(line);
    expect(row).toHaveLength(3);
    const [measure = '', system = '', value = ''] = row;
    return { measure, system, value };
  });
  const measures = rows.map((row) => row.measure);
  const perMode = [
    'idle dispatch p50 / p99 (ms)',
    'throughput, 1 at a time (tasks/s)',
    'throughput, 2 at a time (tasks/s)',
  ];
  for (const measure of [...perMode, '20 idle claims: server CPU / one submit until all answered'])
    expect(measures).toContain(measure);

  // Each isolation mode has its three rows: measured, or skipped with the reason.
  for (const mode of ['process', 'thread', 'none']) {
    const own = rows.filter((row) => row.system.startsWith(`bottle, isolation ${mode}`));
    expect(own.map((row) => row.measure).sort()).toEqual(perMode);
    for (const { measure, value } of own) {
      if (value.startsWith('skipped: ')) continue;
      expect(value).toMatch(measure.startsWith('idle') ? /^[\d,.]+ \/ [\d,.]+$/ : /^[\d,]+$/);
    }
  }
  // Today's default mode is always measured.
  const defaults = rows.filter((row) => row.system.startsWith('bottle, isolation process'));
  for (const { value } of defaults) expect(value).not.toMatch(/^skipped/);
  const claims = rows.find((row) => row.measure.startsWith('20 idle claims'));
  expect(claims?.value).toMatch(/^[\d,.]+ % CPU \/ [\d,]+ ms$/);
}, 180_000);
