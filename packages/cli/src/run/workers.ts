import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { formatNeeds } from '../_resources.js';
import { renderTable } from '../_table.js';
import type { WorkersArgs } from '../commands/workers.js';

export async function runWorkers(argv: WorkersArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const { workers } = await client.listWorkers();
  if (argv.json) {
    context.stdout(`${JSON.stringify({ workers })}\n`);
    return 0;
  }
  const now = Date.now();
  const rows = workers.map((w) => [
    w.workerId,
    w.host,
    w.state ?? '?',
    String(w.running),
    `${Math.max(0, Math.round((now - w.lastSeen) / 1000))} s ago`,
    formatNeeds(w.resources, w.labels),
  ]);
  const header = ['worker', 'host', 'state', 'running', 'last seen', 'has'];
  context.stdout(renderTable(header, rows, context.columns));
  return 0;
}
