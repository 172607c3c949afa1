import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { priorityValue } from '../_options.js';
import { taskNeeds } from '../_resources.js';
import { dryRunText, type SubmitOptions, submitScan, submitScanSpec } from '../_submit.js';
import { gridScan, jsonLinesScan } from '../_sweep.js';
import type { PostArgs } from '../commands/post.js';

export async function runPost(argv: PostArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const root = argv.root ?? context.cwd;
  const options: SubmitOptions = {
    root,
    submit: (tasks, flags) => client.submit(tasks, flags),
    rerun: argv.rerun,
    priority: priorityValue(argv.priority),
    reduce: argv.reduce,
    ...taskNeeds(argv),
    dryRun: argv['dry-run'],
    context,
  };
  const grids = argv.grid ?? [];
  const zips = argv.zip ?? [];
  if (argv.jsonl !== undefined && grids.length + zips.length > 0)
    throw new UsageError('give either --jsonl FILE or --grid/--zip, not both');
  const scan = argv.scan ?? argv.name;
  if (scan !== undefined && argv.jsonl === undefined && grids.length + zips.length === 0)
    throw new UsageError(
      '--scan names the scan of --grid/--zip/--jsonl; a sweep file or module names its own',
    );
  const outcome =
    argv.jsonl !== undefined
      ? await submitScan(jsonLinesScan(argv.source, argv.jsonl, root, scan), options)
      : grids.length + zips.length > 0
        ? await submitScan(gridScan(argv.source, grids, zips, scan), options)
        : await submitScanSpec(argv.source, options);
  if (argv.json) context.stdout(`${JSON.stringify({ ...outcome, dryRun: argv['dry-run'] })}\n`);
  else if (argv['dry-run']) context.stdout(dryRunText(outcome));
  else
    context.stdout(
      `scan '${outcome.scan}': ${outcome.created} new, ${outcome.existing} already known` +
        (outcome.requeued ? `, ${outcome.requeued} requeued` : '') +
        '\n',
    );
  return 0;
}
