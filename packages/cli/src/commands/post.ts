import type { Argv } from 'yargs';
import { formerSpelling, withJsonOption, withServerOptions } from '../_options.js';

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
      .option('scan', {
        type: 'string',
        description: 'Scan name with --grid/--zip/--jsonl (default: the task name)',
      })
      .option('name', { type: 'string', ...formerSpelling('scan') })
      .option('root', {
        type: 'string',
        description: 'Folder the module or files are resolved in (default: cwd)',
      })
      .option('rerun', { type: 'boolean', default: false, description: 'Rerun tasks that already finished' })
      .option('reduce', {
        type: 'string',
        description:
          'Task to run once each time every task of the scan has ended (module.export or a command task), in scan <scan>.reduce',
      })
      .option('priority', {
        type: 'number',
        description:
          'Priority of the new tasks: higher is handed out first, first in first out among equals (default 0)',
      })
      .option('resources', {
        type: 'string',
        array: true,
        description:
          'What each task holds while it runs, e.g. gpus=1,memory=16GiB: only workers with that much free take it (tasks that give their own keep them)',
      })
      .option('needs', {
        type: 'string',
        array: true,
        description: 'Labels the worker of each task must have, e.g. cuda12',
      })
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

export type PostArgs = Awaited<ReturnType<ReturnType<typeof postCommand.builder>['parseAsync']>>;
