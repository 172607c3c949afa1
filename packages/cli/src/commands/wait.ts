import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const waitCommand = {
  command: 'wait <scans..>',
  describe: 'Wait until scans have ended (nothing queued or running) and print one line about them',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('scans', { type: 'string', array: true, description: 'Names of the scans to wait for' })
      .option('timeout', {
        type: 'number',
        description: 'Give up after this many seconds: exit 124 if a scan has not ended by then',
      })
      .epilog(
        'Exit codes: 0 every task done; 1 a task failed for good or was cancelled; 2 usage error (an unknown scan too); ' +
          '124 --timeout ran out first; 130 interrupted.',
      ),
};

export type WaitArgs = Awaited<ReturnType<ReturnType<typeof waitCommand.builder>['parseAsync']>>;
