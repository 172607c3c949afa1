import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const rerunCommand = {
  command: 'rerun [key]',
  describe: "Queue a finished task again, or a scan's failed (or all) tasks",
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('key', { type: 'string', description: 'Task key, or a unique prefix of 8+ characters' })
      .option('scan', { type: 'string', description: "Rerun this scan's tasks instead" })
      .option('all', {
        type: 'boolean',
        default: false,
        description: 'With --scan: every finished task, not only failed and cancelled ones',
      }),
};

export type RerunArgs = Awaited<ReturnType<ReturnType<typeof rerunCommand.builder>['parseAsync']>>;
