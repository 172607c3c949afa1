import type { TaskInfo } from '@bottle/protocol';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { formatNeeds } from '../_resources.js';
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
  // The priority and needs columns show when some task has them, so that plain queues stay narrow.
  const priorities = tasks.some((task) => (task.priority ?? 0) !== 0);
  const needs = tasks.some((task) => task.resources !== undefined || task.needs !== undefined);
  const header = [
    'key',
    'scan',
    'state',
    ...(priorities ? ['priority'] : []),
    ...(needs ? ['needs'] : []),
    'attempts',
    'host',
    'params',
    'error',
  ];
  const rows = tasks.map((task) => [
    task.key,
    task.scan,
    // A task no worker heard from lately can take waits for good: say so where its state is.
    task.unfit ? `${task.state} (no worker fits)` : task.state,
    ...(priorities ? [String(task.priority ?? 0)] : []),
    ...(needs ? [formatNeeds(task.resources, task.needs)] : []),
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
