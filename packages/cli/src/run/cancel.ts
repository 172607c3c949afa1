import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import type { CancelArgs } from '../commands/cancel.js';

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
