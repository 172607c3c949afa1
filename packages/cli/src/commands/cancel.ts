import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { withJsonOption, withServerOptions } from '../_options.js';

export const cancelCommand = {
  command: 'cancel [key]',
  describe: 'Cancel a task, or every unfinished task of a scan; running ones are stopped',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('key', { type: 'string', description: 'Task key' })
      .option('scan', { type: 'string', description: 'Cancel this whole scan instead' }),
};

type CancelArgs = Awaited<ReturnType<ReturnType<typeof cancelCommand.builder>['parseAsync']>>;

export async function runCancel(argv: CancelArgs, context: CliContext): Promise<number> {
  if (Boolean(argv.key) === Boolean(argv.scan)) throw new UsageError('give either a task key or --scan NAME');
  const client = clientFor(argv, context);
  const { count } = argv.scan ? await client.cancelScan(argv.scan) : await client.cancelTask(argv.key as string);
  if (argv.json) context.stdout(`${JSON.stringify({ cancelled: count })}\n`);
  else context.stdout(`${count} task${count === 1 ? '' : 's'} cancelled\n`);
  return 0;
}
