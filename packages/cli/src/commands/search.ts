import type { Argv } from 'yargs';
import { withJsonOption, withServerOptions } from '../_options.js';

export const searchCommand = {
  command: 'search <search>',
  describe: 'Run an adaptive sweep: a search module proposes parameter sets from the results so far',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('search', {
        type: 'string',
        demandOption: true,
        description:
          "module.export of a search() (e.g. 'examples/quadratic.search'), or a search file (.yaml/.json) naming a built-in strategy",
      })
      .option('root', { type: 'string', description: 'Folder the module is resolved in (default: cwd)' })
      .option('scan', { type: 'string', description: "Scan name (default: the search's, else file.export)" })
      .option('max-tasks', {
        type: 'number',
        description: "Most tasks to run (default: the search's budget)",
      })
      .option('max-parallel', {
        type: 'number',
        description: "Most tasks in flight at once (default: the search's budget, else 1)",
      })
      .example('$0 search refine.yaml', 'a search file: task, objective, budget, strategy, space')
      .example(
        '$0 search examples/quadratic.search',
        'minimise the example function; Ctrl-C stops, running it again resumes',
      ),
};

export type SearchArgs = Awaited<ReturnType<ReturnType<typeof searchCommand.builder>['parseAsync']>>;
