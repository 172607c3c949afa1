import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const cancelCommand = {
  command: 'cancel [key]',
  describe: 'Cancel a task, or every unfinished task of a scan; running ones are stopped',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('key', { type: 'string', description: 'Task key, or a unique prefix of 8+ characters' })
      .option('scan', { type: 'string', description: 'Cancel this whole scan instead' }),
};

export type CancelArgs = Awaited<ReturnType<ReturnType<typeof cancelCommand.builder>['parseAsync']>>;
