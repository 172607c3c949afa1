import type { Argv } from 'yargs';
import { withServerOptions } from '../_options.js';

export const gatherCommand = {
  command: 'gather [url]',
  describe:
    "Download the server's gathered outputs (bottle-server --gather): only what is missing or changed",
  builder: <T>(yargs: Argv<T>) =>
    withServerOptions(yargs)
      .positional('url', { type: 'string', description: 'Server URL (instead of --server)' })
      .option('to', {
        type: 'string',
        default: 'results',
        description: 'Local folder; each task lands in <to>/<paramsHash>/',
      })
      .option('scan', { type: 'string', description: "Only this scan's outputs" })
      .example('$0 gather http://host:1988 --to ./results', 'copy every gathered output here')
      .example('$0 gather --scan sweep1 --to ./sweep1', 'one scan; a second run fetches nothing new'),
};

export type GatherArgs = Awaited<ReturnType<ReturnType<typeof gatherCommand.builder>['parseAsync']>>;
