// Runs every benchmark script in this folder, one after another, passing the arguments on
// (e.g. `pnpm bench -- --quick`). Each script prints its own table; copy the figures into
// docs/benchmarks.md with the machine they were measured on.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const scripts = readdirSync(here)
  .filter((name) => name.endsWith('.mjs') && name !== 'run.mjs')
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n== bench/${script} ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`bench/${script} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
