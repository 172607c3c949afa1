import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
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

type RerunArgs = Awaited<ReturnType<ReturnType<typeof rerunCommand.builder>['parseAsync']>>;

export async function runRerun(argv: RerunArgs, context: CliContext): Promise<number> {
  if (Boolean(argv.key) === Boolean(argv.scan)) throw new UsageError('give either a task key or --scan NAME');
  if (argv.all && !argv.scan) throw new UsageError('--all goes with --scan');
  await using client = clientFor(argv, context);
  if (argv.scan) {
    const { count } = await client.rerunScan(argv.scan, { only: argv.all ? 'all' : 'failed' });
    if (argv.json) context.stdout(`${JSON.stringify({ requeued: count })}\n`);
    else context.stdout(`${count} task${count === 1 ? '' : 's'} of scan '${argv.scan}' queued again\n`);
  } else {
    const task = await client.rerunTask(argv.key as string);
    if (argv.json) context.stdout(`${JSON.stringify({ task })}\n`);
    else context.stdout(`task ${task.key} is ${task.state}\n`);
  }
  return 0;
}
