import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { withJsonOption, withServerOptions } from '../_options.js';
import { submitScanSpec } from '../_submit.js';

export const postCommand = {
  command: 'post <module>',
  describe: 'Submit the tasks of a scan (module.export) to a running server',
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('module', {
        type: 'string',
        demandOption: true,
        description: "The scan to submit, as module.export (e.g. 'examples/dummy.scan')",
      })
      .option('root', { type: 'string', description: 'Folder the module is resolved in (default: cwd)' })
      .option('rerun', { type: 'boolean', default: false, description: 'Rerun tasks that already finished' })
      .option('dry-run', { type: 'boolean', default: false, description: 'Count the tasks, submit nothing' }),
};

type PostArgs = Awaited<ReturnType<ReturnType<typeof postCommand.builder>['parseAsync']>>;

export async function runPost(argv: PostArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const outcome = await submitScanSpec(argv.module, {
    root: argv.root ?? context.cwd,
    submit: (request) => client.submit(request.tasks, request),
    rerun: argv.rerun,
    dryRun: argv['dry-run'],
    context,
  });
  if (argv.json) context.stdout(`${JSON.stringify({ ...outcome, dryRun: argv['dry-run'] })}\n`);
  else if (argv['dry-run']) context.stdout(`scan '${outcome.scan}': ${outcome.total} tasks (dry run)\n`);
  else
    context.stdout(
      `scan '${outcome.scan}': ${outcome.created} new, ${outcome.existing} already known` +
        (outcome.requeued ? `, ${outcome.requeued} requeued` : '') +
        '\n',
    );
  return 0;
}
