import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const priorityCommand = {
  command: 'priority <scan> <priority>',
  describe: "Set the priority of a scan's unfinished tasks, also while it runs (higher goes first)",
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('scan', { type: 'string', demandOption: true, description: 'Scan name' })
      .positional('priority', {
        type: 'number',
        demandOption: true,
        description: 'Whole number; higher is handed out first, first in first out among equals (default 0)',
      })
      .example(
        '$0 priority urgent 10',
        'hand out the queued tasks of scan urgent before those of priority < 10',
      ),
};

export type PriorityArgs = Awaited<ReturnType<ReturnType<typeof priorityCommand.builder>['parseAsync']>>;
