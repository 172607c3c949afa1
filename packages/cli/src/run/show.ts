import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { formatNeeds } from '../_resources.js';
import { renderTable } from '../_table.js';
import type { ShowArgs } from '../commands/show.js';

export async function runShow(argv: ShowArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const { task, attempts } = await orNotFound(
    client.getTask(argv.key),
    `task has key ${argv.key}`,
    'bottle ls (keys are 64 characters)',
  );
  if (argv.json) {
    context.stdout(`${JSON.stringify({ task, attempts })}\n`);
    return 0;
  }
  const lines = [
    `key        ${task.key}`,
    `task       ${task.task}`,
    `scan       ${task.scan}`,
    `state      ${task.state}${task.unfit ? ' (no worker heard from lately fits)' : ''}`,
    `params     ${JSON.stringify(task.params)}`,
    `outputs    <outDir>/${task.paramsHash}/`,
    // The limit counts attempts since the last rerun; the history below holds them all.
    `attempts   ${task.chargedAttempts} of ${task.maxAttempts}` +
      (task.attempts > task.chargedAttempts ? ` (${task.attempts} in all, with reruns)` : ''),
  ];
  if (task.resources !== undefined || task.needs !== undefined)
    lines.push(`needs      ${formatNeeds(task.resources, task.needs)}`);
  if (task.result !== null) lines.push(`result     ${JSON.stringify(task.result)}`);
  if (task.error) lines.push(`error      ${task.error.split('\n').join('\n           ')}`);
  context.stdout(`${lines.join('\n')}\n`);
  if (attempts.length > 0) {
    const rows = attempts.map((a) => [
      String(a.attempt),
      a.outcome,
      a.host,
      a.workerId,
      new Date(a.startedAt).toISOString(),
      a.endedAt === null ? '' : `${((a.endedAt - a.startedAt) / 1000).toFixed(1)} s`,
      (a.error ?? '').split('\n')[0] ?? '',
    ]);
    context.stdout(
      `\n${renderTable(['#', 'outcome', 'host', 'worker', 'started', 'took', 'error'], rows, context.columns)}`,
    );
  }
  return 0;
}
