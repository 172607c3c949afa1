import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { withJsonOption, withServerOptions } from '../_options.js';
import { renderTable } from '../_table.js';

export const workersCommand = {
  command: 'workers',
  describe: 'List the workers the server has seen: alive, stale or stopped, last contact, tasks held',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs)).epilog(
      [
        'States:',
        '  alive    heard from lately (a claim, heartbeat or report)',
        '  stale    silent while holding leases: its tasks go back to the queue when the leases expire',
        '  stopped  silent and holding nothing: gone',
      ].join('\n'),
    ),
};

type WorkersArgs = Awaited<ReturnType<ReturnType<typeof workersCommand.builder>['parseAsync']>>;

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
  ]);
  context.stdout(renderTable(['worker', 'host', 'state', 'running', 'last seen'], rows, context.columns));
  return 0;
}
