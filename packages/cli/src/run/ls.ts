import type { TaskInfo } from '@bottle/protocol';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { renderTable } from '../_table.js';
import type { LsArgs } from '../commands/ls.js';

/** 12 characters of a task key and the ellipsis. */
const KEY_FLOOR = 13;

export async function runLs(argv: LsArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const wanted = argv.limit > 0 ? argv.limit : Number.POSITIVE_INFINITY;
  const tasks: TaskInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTasks({
      ...(argv.state ? { state: argv.state } : {}),
      ...(argv.scan ? { scan: argv.scan } : {}),
      ...(argv.task ? { task: argv.task } : {}),
      limit: Math.min(1000, wanted - tasks.length),
      ...(cursor ? { cursor } : {}),
    });
    tasks.push(...page.tasks);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && tasks.length < wanted);

  if (argv.json) {
    context.stdout(`${JSON.stringify({ tasks })}\n`);
    return 0;
  }
  const header = ['key', 'scan', 'state', 'attempts', 'host', 'params', 'error'];
  const rows = tasks.map((task) => [
    task.key,
    task.scan,
    task.state,
    `${task.chargedAttempts}/${task.maxAttempts}`,
    task.host ?? '',
    JSON.stringify(task.params),
    (task.error ?? '').split('\n')[0] ?? '',
  ]);
  // A narrow terminal keeps the key's first 12 characters, so that the error still shows.
  context.stdout(renderTable(header, rows, context.columns, { 0: KEY_FLOOR }));
  if (cursor) context.stdout(`(more: raise --limit, or --limit 0 for all)\n`);
  return 0;
}
