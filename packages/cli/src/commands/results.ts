import { resolve } from 'node:path';
import {
  formatRows,
  type ResultFormat,
  readLocalResults,
  resultFormats,
  serverResultRows,
} from '@bottle/worker';
import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { withServerOptions } from '../_options.js';

export const resultsCommand = {
  command: 'results',
  describe: "One row per task: parameters, state, attempts, duration, host and the result's fields",
  builder: <T>(yargs: Argv<T>) =>
    withServerOptions(yargs)
      .option('scan', { type: 'string', description: 'Only tasks of this scan (from the server)' })
      .option('format', {
        choices: resultFormats,
        default: 'table' as ResultFormat,
        description: 'table (fits the terminal), csv, json or jsonl',
      })
      .option('from', {
        type: 'string',
        description: 'Read a local folder of outputs (e.g. from bottle gather) instead of the server',
      })
      .example('$0 results --format csv > sweep.csv', 'a spreadsheet of the sweep')
      .example('$0 results --from ./results', 'the same table from gathered outputs, offline'),
};

type ResultsArgs = Awaited<ReturnType<ReturnType<typeof resultsCommand.builder>['parseAsync']>>;

export async function runResults(argv: ResultsArgs, context: CliContext): Promise<number> {
  const format = argv.format as ResultFormat;
  let rows: Awaited<ReturnType<typeof readLocalResults>>;
  if (argv.from !== undefined) {
    if (argv.scan !== undefined)
      throw new UsageError('--scan reads from the server; it cannot go with --from');
    rows = await readLocalResults(resolve(context.cwd, argv.from));
  } else {
    await using client = clientFor(argv, context);
    rows = await serverResultRows(client, { scan: argv.scan });
  }
  context.stdout(formatRows(rows, format, { width: context.columns }));
  return 0;
}
