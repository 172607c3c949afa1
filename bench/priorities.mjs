// Claims with priorities: 10^6 queued tasks (SQLite), all of priority 0 or spread over 10 priorities,
// then claims of 100 tasks each until 20,000 are leased. The claim reads the tasks_queue index from
// its head, so the mixed queue should cost what the flat one does. Run after `pnpm build`:
// `node bench/priorities.mjs` (or `--quick`: 10^5 queued).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../packages/server/dist/index.js';

const QUEUED = process.argv.includes('--quick') ? 100_000 : 1_000_000;
const CLAIMED = 20_000;
const BATCH = 100;
const dir = mkdtempSync(join(tmpdir(), 'bottle-bench-priorities-'));

async function run(label, priorityOf) {
  const store = new SqliteStore(join(dir, `${label}.db`));
  for (let start = 0; start < QUEUED; start += 50_000) {
    const tasks = [];
    for (let i = start; i < Math.min(QUEUED, start + 50_000); i++)
      tasks.push({ task: 'bench.task', params: { i }, priority: priorityOf(i) });
    await store.submit({ scan: label, tasks });
  }
  const started = performance.now();
  let leased = 0;
  while (leased < CLAIMED) {
    const [tasks = []] = await store.claim([{ workerId: 'w', host: 'h', max: BATCH, waitMs: 0 }]);
    leased += tasks.length;
  }
  const ms = performance.now() - started;
  await store.close();
  console.log(
    `${label.padEnd(16)} ${QUEUED} queued: ${CLAIMED} leased in ${ms.toFixed(0)} ms (${((ms / CLAIMED) * BATCH).toFixed(2)} ms per claim of ${BATCH})`,
  );
}

try {
  await run('one-priority', () => 0);
  await run('ten-priorities', (i) => (i * 7919) % 10);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
