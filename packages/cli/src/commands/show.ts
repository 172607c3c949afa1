import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const showCommand = {
  command: 'show <key>',
  describe: 'Show one task with the history of its attempts',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs)).positional('key', {
      type: 'string',
      demandOption: true,
      description: 'Task key, or a unique prefix of 8+ characters (as bottle ls or the worker prints it)',
    }),
};

export type ShowArgs = Awaited<ReturnType<ReturnType<typeof showCommand.builder>['parseAsync']>>;
