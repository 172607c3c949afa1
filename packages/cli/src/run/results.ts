import { resolve } from 'node:path';
import { reduceScanOf, type TaskInfo } from '@bottle/protocol';
import type { BottleClient } from '@bottle/worker';
import {
  formatRows,
  type ResultFormat,
  type ResultRow,
  readLocalResults,
  resultRows,
  serverResultRows,
} from '@bottle/worker/gather';
import { bestTasks } from '@bottle/worker/search';
import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { objectiveOf, positiveInt } from '../_options.js';
import type { ResultsArgs } from '../commands/results.js';

export async function runResults(argv: ResultsArgs, context: CliContext): Promise<number> {
  const format = argv.format as ResultFormat;
  if (argv.reduce) return printReduce(argv, format, context);
  let rows: ResultRow[];
  const best = positiveInt('best', argv.best);
  const flagged = objectiveOf(argv);
  if (best !== undefined && flagged === undefined && argv.scan === undefined)
    throw new UsageError(
      "--best K ranks by a result field: add --scan NAME (a search's scan ranks by its own objective), or --minimize FIELD or --maximize FIELD",
    );
  if (best === undefined && flagged !== undefined)
    throw new UsageError('--minimize and --maximize rank the tasks for --best K: add --best K');
  if (argv.from !== undefined) {
    if (argv.scan !== undefined || best !== undefined)
      throw new UsageError(
        `${best === undefined ? '--scan' : '--best'} reads from the server; it cannot go with --from`,
      );
    rows = await readLocalResults(resolve(context.cwd, argv.from));
  } else {
    await using client = clientFor(argv, context);
    // An unknown scan would list no task: say so rather than print an empty table.
    const scan =
      argv.scan === undefined
        ? undefined
        : await orNotFound(client.getScan(argv.scan), `scan is named '${argv.scan}'`, 'bottle status');
    // The flags override the objective the scan records (a search's own).
    const objective = flagged ?? scan?.objective;
    if (best !== undefined && objective === undefined)
      throw new UsageError(
        `--best K ranks by a result field, and scan '${argv.scan}' records no objective: add --minimize FIELD or --maximize FIELD`,
      );
    rows = await keyedRows(
      client,
      argv.scan,
      best === undefined || !objective ? undefined : { objective, k: best },
    );
  }
  const width = Number.isFinite(context.columns) ? context.columns : undefined;
  context.stdout(formatRows(rows, format, width === undefined ? {} : { width }));
  return 0;
}

/**
 * Each row with its task's `key` (for `bottle show`) and `paramsHash` (its output folder), so that a
 * row can be matched to its outputs. `serverResultRows` keeps the order of the tasks it reads, so
 * rows and tasks are paired by position. A parameter or result already named so keeps its column;
 * the task's goes under `task.key` / `task.paramsHash`.
 */
async function keyedRows(
  client: BottleClient,
  scan: string | undefined,
  best?: { objective: Parameters<typeof bestTasks>[1]; k: number },
): Promise<ResultRow[]> {
  const tasks: TaskInfo[] = [];
  if (best) {
    // Ranked before the rows are built, so that only the best K have their outputs read.
    const all: TaskInfo[] = [];
    for await (const task of client.iterateTasks({ ...(scan ? { scan } : {}), state: 'done', limit: 1000 }))
      all.push(task);
    const ranked = bestTasks(all, best.objective, best.k).map(({ task }) => task);
    const rows = await resultRows(ranked);
    return rows.map((row, i) => ({
      ...row,
      [named(row, 'key')]: ranked[i]?.key ?? null,
      [named(row, 'paramsHash')]: ranked[i]?.paramsHash ?? null,
    }));
  }
  const recording: Parameters<typeof serverResultRows>[0] = {
    iterateTasks: (query) =>
      (async function* () {
        for await (const task of client.iterateTasks(query)) {
          tasks.push(task);
          yield task;
        }
      })(),
    listOutputs: (query) => client.listOutputs(query),
    openOutputFile: (paramsHash, path) => client.openOutputFile(paramsHash, path),
  };
  const rows = await serverResultRows(recording, { scan });
  if (rows.length !== tasks.length) return rows;
  return rows.map((row, i) => ({
    ...row,
    [named(row, 'key')]: tasks[i]?.key ?? null,
    [named(row, 'paramsHash')]: tasks[i]?.paramsHash ?? null,
  }));
}

const named = (row: ResultRow, name: string) => (name in row ? `task.${name}` : name);

/**
 * `--reduce`: the latest reduce task of the scan (in its scan `<scan>.reduce`), one row: its state,
 * its completion state and its result. Exit 1 when none was queued yet.
 */
async function printReduce(argv: ResultsArgs, format: ResultFormat, context: CliContext): Promise<number> {
  if (argv.scan === undefined)
    throw new UsageError('--reduce shows the reduce of one scan: give --scan NAME');
  if (argv.from !== undefined)
    throw new UsageError('--reduce reads from the server; it cannot go with --from');
  await using client = clientFor(argv, context);
  await orNotFound(client.getScan(argv.scan), `scan is named '${argv.scan}'`, 'bottle status');
  let latest: TaskInfo | undefined;
  for await (const task of client.iterateTasks({ scan: reduceScanOf(argv.scan) })) {
    if (!latest || task.createdAt >= latest.createdAt) latest = task;
  }
  if (!latest) {
    context.stderr(
      `bottle: scan '${argv.scan}' has no reduce task yet: it is queued when every task of the scan has ended, if the scan was posted with --reduce\n`,
    );
    return exitCodes.failure;
  }
  const row: ResultRow = {
    scan: argv.scan,
    state: latest.state,
    completion: (latest.params as { completion?: string }).completion ?? null,
    key: latest.key,
    result: latest.result,
    error: latest.error,
  };
  if (format === 'json') context.stdout(`${JSON.stringify(row)}\n`);
  else
    context.stdout(
      formatRows([row], format, Number.isFinite(context.columns) ? { width: context.columns } : {}),
    );
  return latest.state === 'done' ? exitCodes.ok : exitCodes.failure;
}
