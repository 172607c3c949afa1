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
      .positional('key', { type: 'string', description: 'Task key, or a unique prefix of 8+ characters' })
      .option('scan', { type: 'string', description: 'Cancel this whole scan instead' }),
};

type CancelArgs = Awaited<ReturnType<ReturnType<typeof cancelCommand.builder>['parseAsync']>>;

export async function runCancel(argv: CancelArgs, context: CliContext): Promise<number> {
  if (Boolean(argv.key) === Boolean(argv.scan)) throw new UsageError('give either a task key or --scan NAME');
  await using client = clientFor(argv, context);
  if (argv.scan) {
    const { count } = await client.cancelScan(argv.scan);
    if (argv.json) context.stdout(`${JSON.stringify({ cancelled: count })}\n`);
    else context.stdout(`${count} task${count === 1 ? '' : 's'} of scan '${argv.scan}' cancelled\n`);
  } else {
    const task = await client.cancelTask(argv.key as string);
    if (argv.json) context.stdout(`${JSON.stringify({ task })}\n`);
    else context.stdout(`task ${task.key} is ${task.state}\n`);
  }
  return 0;
}
