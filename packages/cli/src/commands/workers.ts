import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { withJsonOption, withServerOptions } from '../_options.js';
import { renderTable } from '../_table.js';

export const workersCommand = {
  command: 'workers',
  describe: 'List the workers the server has seen, with last contact and tasks held',
  builder: <T>(yargs: Argv<T>) => withJsonOption(withServerOptions(yargs)),
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
    String(w.running),
    `${Math.max(0, Math.round((now - w.lastSeen) / 1000))} s ago`,
  ]);
  context.stdout(renderTable(['worker', 'host', 'running', 'last seen'], rows, context.columns));
  return 0;
}
