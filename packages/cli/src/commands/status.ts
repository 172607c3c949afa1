import { taskStates } from '@bottle/protocol';
import type { Argv } from 'yargs';
import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { withJsonOption, withServerOptions } from '../_options.js';
import { renderTable } from '../_table.js';

export const statusCommand = {
  command: 'status [scan]',
  describe: 'Show each scan with its task counts per state',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs)).positional('scan', {
      type: 'string',
      description: 'Only this scan',
    }),
};

type StatusArgs = Awaited<ReturnType<ReturnType<typeof statusCommand.builder>['parseAsync']>>;

export async function runStatus(argv: StatusArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const scans = argv.scan
    ? [await orNotFound(client.getScan(argv.scan), `scan is named '${argv.scan}'`, 'bottle status')]
    : (await client.listScans()).scans;
  if (argv.json) {
    context.stdout(`${JSON.stringify({ scans })}\n`);
    return 0;
  }
  if (scans.length === 0) {
    context.stdout('no scans yet: submit one with bottle post module.scan\n');
    return 0;
  }
  const header = ['scan', 'total', ...taskStates, 'lost', 'progress'];
  const rows = scans.map((scan) => {
    // Progress is work done: failed and cancelled tasks are finished but not progress (they have
    // their own columns).
    const done = scan.counts.done + scan.counts.delivered;
    const percent = scan.total === 0 ? 100 : Math.floor((100 * done) / scan.total);
    return [
      scan.name,
      String(scan.total),
      ...taskStates.map((state) => String(scan.counts[state])),
      String(scan.lostAttempts),
      `${percent}%`,
    ];
  });
  context.stdout(renderTable(header, rows, context.columns));
  return 0;
}
