import { taskStates } from '@bottle/protocol';
import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const lsCommand = {
  command: 'ls',
  describe: 'List tasks, newest first, filtered by state, scan or task',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .option('state', { choices: taskStates, description: 'Only tasks in this state' })
      .option('scan', { type: 'string', description: 'Only tasks of this scan' })
      .option('task', { type: 'string', description: 'Only tasks of this task (module.export)' })
      .option('limit', { type: 'number', default: 100, description: 'Most tasks to list (0: all)' }),
};

export type LsArgs = Awaited<ReturnType<ReturnType<typeof lsCommand.builder>['parseAsync']>>;
