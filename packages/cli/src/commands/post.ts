import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { UsageError } from '../_exit.js';
import { withJsonOption, withServerOptions } from '../_options.js';
import { dryRunText, type SubmitOptions, submitScan, submitScanSpec } from '../_submit.js';
import { gridScan, jsonLinesScan } from '../_sweep.js';

export const postCommand = {
  command: 'post <source>',
  describe:
    'Submit the tasks of a scan (module.export), a sweep file, or a task name with --grid/--zip/--jsonl',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('source', {
        type: 'string',
        demandOption: true,
        description:
          "module.export (e.g. 'examples/dummy.scan'), a sweep file (.yaml/.json), or with --grid/--zip/--jsonl a task name",
      })
      .option('grid', {
        type: 'string',
        array: true,
        description:
          'name=values: every combination with the other --grid (e.g. lr=0.1,0.01 seed=1..5 x=0..1:0.25)',
      })
      .option('zip', {
        type: 'string',
        array: true,
        description: 'name=values: paired item by item with the other --zip (equal lengths)',
      })
      .option('jsonl', { type: 'string', description: 'File of parameter sets, one JSON object a line' })
      .option('name', {
        type: 'string',
        description: 'Scan name with --grid/--zip/--jsonl (default: the task name)',
      })
      .option('root', {
        type: 'string',
        description: 'Folder the module or files are resolved in (default: cwd)',
      })
      .option('rerun', { type: 'boolean', default: false, description: 'Rerun tasks that already finished' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        description: 'Count the tasks and show the first parameter sets, submit nothing',
      })
      .example(
        '$0 post train --grid lr=0.1,0.01,0.001 --grid seed=1..5',
        '15 tasks of the command task train',
      )
      .example('$0 post sweep.yaml --dry-run', 'count and show the parameter sets of a sweep file'),
};

type PostArgs = Awaited<ReturnType<ReturnType<typeof postCommand.builder>['parseAsync']>>;

export async function runPost(argv: PostArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const root = argv.root ?? context.cwd;
  const options: SubmitOptions = {
    root,
    submit: (request) => client.submit(request.tasks, request),
    rerun: argv.rerun,
    dryRun: argv['dry-run'],
    context,
  };
  const grids = argv.grid ?? [];
  const zips = argv.zip ?? [];
  if (argv.jsonl !== undefined && grids.length + zips.length > 0)
    throw new UsageError('give either --jsonl FILE or --grid/--zip, not both');
  if (argv.name !== undefined && argv.jsonl === undefined && grids.length + zips.length === 0)
    throw new UsageError(
      '--name names the scan of --grid/--zip/--jsonl; a sweep file or module names its own',
    );
  const outcome =
    argv.jsonl !== undefined
      ? await submitScan(jsonLinesScan(argv.source, argv.jsonl, root, argv.name), options)
      : grids.length + zips.length > 0
        ? await submitScan(gridScan(argv.source, grids, zips, argv.name), options)
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
