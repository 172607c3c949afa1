// `pnpm bench`: bottle against its peers (compare.mjs: BullMQ, graphile-worker), then the server's own
// figures (server.mjs: claim+complete at batch 1 and 100, a 10^6-task submit). Arguments are passed on,
// e.g. `pnpm bench -- --quick` or `pnpm bench -- --only bottle,bullmq`. `node bench/end-to-end.mjs`
// (CPU per task, --profile) runs on its own.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((arg) => arg !== '--');
let failed = 0;
for (const script of ['compare.mjs', 'server.mjs']) {
  console.log(`\n== bench/${script} ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`bench/${script} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
