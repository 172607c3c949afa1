import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import type { RerunArgs } from '../commands/rerun.js';

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
