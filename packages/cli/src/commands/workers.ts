import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const workersCommand = {
  command: 'workers',
  describe: 'List the workers the server has seen: alive, stale or stopped, last contact, tasks held',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs)).epilog(
      [
        'States:',
        '  alive    heard from lately (a claim, heartbeat or report)',
        '  stale    silent while holding leases: its tasks go back to the queue when the leases expire',
        '  stopped  silent and holding nothing: gone',
      ].join('\n'),
    ),
};

export type WorkersArgs = Awaited<ReturnType<ReturnType<typeof workersCommand.builder>['parseAsync']>>;
