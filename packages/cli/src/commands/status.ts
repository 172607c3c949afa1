import type { Argv } from 'yargs';
import { withJsonOption, withObjectiveOptions, withServerOptions } from '../_options.js';
import { stateHelp } from '../status/render.js';

export const statusCommand = {
  command: 'status [scan]',
  describe: 'Show each scan with a progress bar, its task counts per state, rate and ETA',
  builder: <T>(yargs: Argv<T>) =>
    withObjectiveOptions(withJsonOption(withServerOptions(yargs)))
      .positional('scan', { type: 'string', description: 'Only this scan' })
      .option('watch', {
        alias: 'w',
        type: 'boolean',
        default: false,
        description:
          'Refresh until every scan shown is finished (nothing queued or running); exit 1 if any task failed',
      })
      .option('interval', {
        type: 'number',
        description: 'Seconds between refreshes with --watch (default: 2 on a terminal, 10 otherwise)',
      })
      .example('$0 status quadratic.search', "a search's scan, and its best so far by the search's objective")
      .example('$0 status quadratic.search --minimize loss', 'the scan, and its best loss so far')
      .epilog(stateHelp),
};

export type StatusArgs = Awaited<ReturnType<ReturnType<typeof statusCommand.builder>['parseAsync']>>;
