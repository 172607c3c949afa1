import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const logsCommand = {
  command: 'logs <key>',
  describe: "Print the tail of a task's stdout and stderr, as its worker reported them",
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('key', {
        type: 'string',
        demandOption: true,
        description: 'Task key, or a unique prefix of 8+ characters',
      })
      .option('attempt', { type: 'number', description: 'Which attempt (default: the latest)' }),
};

export type LogsArgs = Awaited<ReturnType<ReturnType<typeof logsCommand.builder>['parseAsync']>>;
