import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { priorityValue } from '../_options.js';
import type { PriorityArgs } from '../commands/priority.js';

export async function runPriority(argv: PriorityArgs, context: CliContext): Promise<number> {
  const priority = priorityValue(argv.priority);
  if (priority === undefined) throw new UsageError('give the new priority: bottle priority SCAN N');
  await using client = clientFor(argv, context);
  const scan = String(argv.scan);
  const { count } = await orNotFound(
    client.setScanPriority(scan, priority),
    `scan is named '${scan}'`,
    'bottle status',
  );
  if (argv.json) context.stdout(`${JSON.stringify({ scan, priority, count })}\n`);
  else context.stdout(`scan '${scan}': ${count} unfinished tasks now have priority ${priority}\n`);
  return exitCodes.ok;
}
