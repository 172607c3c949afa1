import { type ResultFormat, resultFormats } from '@bottle/worker/gather';
import type { Argv } from 'yargs';
import { withObjectiveOptions, withServerOptions } from '../_options.js';

export const resultsCommand = {
  command: 'results',
  describe:
    "One row per task: parameters, state, attempts, duration, host, the result's fields, and (from a server) the task's key and paramsHash",
  builder: <T>(yargs: Argv<T>) =>
    withObjectiveOptions(withServerOptions(yargs))
      .option('scan', { type: 'string', description: 'Only tasks of this scan (from the server)' })
      .option('format', {
        choices: resultFormats,
        default: 'table' as ResultFormat,
        description: 'table (fits the terminal), csv, json or jsonl',
      })
      .option('reduce', {
        type: 'boolean',
        default: false,
        description: "With --scan: the scan's latest reduce task, its state and result",
      })
      .option('from', {
        type: 'string',
        description: 'Read a local folder of outputs (e.g. from bottle gather) instead of the server',
      })
      .option('best', {
        type: 'number',
        description:
          "Only the K best done tasks, best first, by the scan's objective (a search's own) or by --minimize or --maximize (from the server)",
      })
      .example('$0 results --format csv > sweep.csv', 'a spreadsheet of the sweep')
      .example('$0 results --scan quadratic.search --best 5', "the five best by the search's objective")
      .example('$0 results --scan quadratic.search --best 5 --minimize loss', 'the five lowest losses')
      .example('$0 results --from ./results', 'the same table from gathered outputs, offline'),
};

export type ResultsArgs = Awaited<ReturnType<ReturnType<typeof resultsCommand.builder>['parseAsync']>>;
