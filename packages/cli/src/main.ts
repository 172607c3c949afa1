import yargs, { type Argv } from 'yargs';
import { type CliContext, processContext } from './_context.js';
import { exitCodeFor, exitCodes, UsageError } from './_exit.js';
import { suggestionFor, unknownNames } from './_suggest.js';
import { version } from './_version.js';
import { cancelCommand, runCancel } from './commands/cancel.js';
import { gatherCommand, runGather } from './commands/gather.js';
import { launchCommand, runLaunch } from './commands/launch.js';
import { logsCommand, runLogs } from './commands/logs.js';
import { lsCommand, runLs } from './commands/ls.js';
import { postCommand, runPost } from './commands/post.js';
import { rerunCommand, runRerun } from './commands/rerun.js';
import { resultsCommand, runResults } from './commands/results.js';
import { runServer, serverOptions } from './commands/server.js';
import { runShow, showCommand } from './commands/show.js';
import { runStatus, statusCommand } from './commands/status.js';
import { runWorker, workerOptions } from './commands/worker.js';
import { runWorkers, workersCommand } from './commands/workers.js';

export type ProgramName = 'bottle' | 'bottle-server' | 'bottle-worker';

type Run = () => Promise<number>;

/**
 * Builds the yargs parser of a program. `select` receives the chosen command's runner; the
 * parser itself never exits the process nor prints, so tests and the docs generator can use it.
 */
export function buildParser(
  program: ProgramName,
  rawArgs: string[],
  context: CliContext,
  select: (run: Run) => void,
) {
  const base = yargs(rawArgs)
    .scriptName(program)
    .version(version)
    .help()
    .alias('h', 'help')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(100, context.columns))
    .fail((message, error) => {
      if (error) throw error;
      // getOptions() is missing from yargs' types; it lists the options of the command being
      // parsed (yargs reuses one instance for its commands), aliases included.
      const parser = base as unknown as { getOptions(): { key: Record<string, unknown> } };
      const options = Object.keys(parser.getOptions().key);
      const hint = suggestionFor(message ?? '', options, program === 'bottle' ? BOTTLE_COMMAND_NAMES : []);
      // yargs names an unknown option twice (retry-if-emtpy, retryIfEmtpy): once is enough.
      const unknown = unknownNames(message ?? '');
      const said =
        unknown.length > 0
          ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`
          : message;
      throw new UsageError(hint ? `${said}\n${hint}` : said);
    });
  switch (program) {
    case 'bottle-server':
      return base.command('$0', false, serverOptions, (argv) =>
        select(() => runServer(argv as never, context)),
      );
    case 'bottle-worker':
      return base.command('$0 [server..]', false, workerOptions, (argv) =>
        select(() => runWorker(argv as never, context)),
      );
    case 'bottle':
      return bottleCommands(base, context, select);
  }
}

const BOTTLE_COMMANDS = [
  [postCommand, runPost],
  [statusCommand, runStatus],
  [lsCommand, runLs],
  [showCommand, runShow],
  [logsCommand, runLogs],
  [cancelCommand, runCancel],
  [rerunCommand, runRerun],
  [workersCommand, runWorkers],
  [launchCommand, runLaunch],
  [gatherCommand, runGather],
  [resultsCommand, runResults],
] as const;

/** The `bottle` commands' names, for "did you mean". */
const BOTTLE_COMMAND_NAMES = BOTTLE_COMMANDS.map(([definition]) => definition.command.split(' ')[0] ?? '');

function bottleCommands(base: Argv, context: CliContext, select: (run: Run) => void) {
  let parser = base.usage(
    '$0 <command> [options]\n\nTalk to a bottle server: submit scans, follow them, fix them.',
  );
  for (const [definition, run] of BOTTLE_COMMANDS) {
    parser = parser.command(definition.command, definition.describe, definition.builder as never, (argv) =>
      select(() => (run as (a: unknown, c: CliContext) => Promise<number>)(argv, context)),
    );
  }
  return parser.demandCommand(1, 'name a command: see bottle --help');
}

/** Runs a program with its arguments and returns its exit code; nothing here calls process.exit. */
export async function main(
  program: ProgramName,
  rawArgs: string[],
  context: CliContext = processContext(),
): Promise<number> {
  try {
    let run: Run | undefined;
    let output = '';
    await buildParser(program, rawArgs, context, (chosen) => {
      run = chosen;
    }).parseAsync(rawArgs, {}, (_error, _argv, text) => {
      output = text;
    });
    if (!run) {
      // --help or --version: yargs produced the text instead of choosing a command.
      if (output) context.stdout(`${output}\n`);
      return exitCodes.ok;
    }
    return await run();
  } catch (error) {
    return exitCodeFor(error, program, context.stderr);
  }
}
