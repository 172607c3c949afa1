import yargs, { type Argv } from 'yargs';
import { type CliContext, processContext } from './_context.js';
import { exitCodeFor, exitCodes, UsageError } from './_exit.js';
import { formerSpellings } from './_options.js';
import { suggestionFor, unknownNames } from './_suggest.js';
import { version } from './_version.js';
import { cancelCommand } from './commands/cancel.js';
import { gatherCommand } from './commands/gather.js';
import { launchCommand } from './commands/launch.js';
import { logsCommand } from './commands/logs.js';
import { lsCommand } from './commands/ls.js';
import { postCommand } from './commands/post.js';
import { priorityCommand } from './commands/priority.js';
import { rerunCommand } from './commands/rerun.js';
import { resultsCommand } from './commands/results.js';
import { searchCommand } from './commands/search.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { waitCommand } from './commands/wait.js';
import { workersCommand } from './commands/workers.js';

export type ProgramName = 'bottle' | 'bottle-server' | 'bottle-worker';

type Run = () => Promise<number>;

const renamed = new Map<string, string>(formerSpellings.map(({ former, now }) => [former, now]));
/** A command's code, loaded only when the command runs (`run/*.ts`): `bottle ls` never loads the server. */
type LoadRun = () => Promise<(argv: never, context: CliContext) => Promise<number>>;

/**
 * Builds the yargs parser of a program. `select` receives the chosen command's runner; the
 * parser itself never exits the process nor prints, so tests and the docs generator can use it.
 * Each program loads only its own options: `bottle-worker` never loads the server's packages.
 */
export async function buildParser(
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
      const commands = program === 'bottle' ? BOTTLE_COMMAND_NAMES : [];
      // A former spelling is suggested under its new name: --help no longer shows it.
      const hint = suggestionFor(message ?? '', options, commands, renamed);
      // yargs names an unknown option twice (retry-if-emtpy, retryIfEmtpy): once is enough.
      const unknown = unknownNames(message ?? '');
      const said =
        unknown.length > 0
          ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`
          : message;
      throw new UsageError(hint ? `${said}\n${hint}` : said);
    });
  const chosen = (load: LoadRun) => (argv: unknown) =>
    select(async () => (await load())(argv as never, context));
  if (program === 'bottle') return bottleCommands(base, chosen);
  const { command, options, run } = ONE_COMMAND[program];
  return base.command(command, false, (await options()) as never, chosen(run));
}

/** The programs of one command: its options (loaded for that program alone) and its code. */
const ONE_COMMAND = {
  'bottle-server': {
    command: '$0',
    options: async () => (await import('./commands/server.js')).serverOptions,
    run: (async () => (await import('./run/server.js')).runServer) as LoadRun,
  },
  'bottle-worker': {
    command: '$0 [server..]',
    options: async () => (await import('./commands/worker.js')).workerOptions,
    run: (async () => (await import('./run/worker.js')).runWorker) as LoadRun,
  },
};

const BOTTLE_COMMANDS: ReadonlyArray<
  readonly [{ command: string; describe: string; builder: unknown }, LoadRun]
> = [
  [postCommand, async () => (await import('./run/post.js')).runPost],
  [statusCommand, async () => (await import('./run/status.js')).runStatus],
  [waitCommand, async () => (await import('./run/wait.js')).runWait],
  [lsCommand, async () => (await import('./run/ls.js')).runLs],
  [showCommand, async () => (await import('./run/show.js')).runShow],
  [logsCommand, async () => (await import('./run/logs.js')).runLogs],
  [cancelCommand, async () => (await import('./run/cancel.js')).runCancel],
  [rerunCommand, async () => (await import('./run/rerun.js')).runRerun],
  [priorityCommand, async () => (await import('./run/priority.js')).runPriority],
  [workersCommand, async () => (await import('./run/workers.js')).runWorkers],
  [launchCommand, async () => (await import('./run/launch.js')).runLaunch],
  [gatherCommand, async () => (await import('./run/gather.js')).runGather],
  [resultsCommand, async () => (await import('./run/results.js')).runResults],
  [searchCommand, async () => (await import('./run/search.js')).runSearchCommand],
];

/** The `bottle` commands' names, for "did you mean". */
const BOTTLE_COMMAND_NAMES = BOTTLE_COMMANDS.map(([definition]) => definition.command.split(' ')[0] ?? '');

function bottleCommands(base: Argv, chosen: (load: LoadRun) => (argv: unknown) => void) {
  let parser = base.usage(
    '$0 <command> [options]\n\nTalk to a bottle server: submit scans, follow them, fix them.',
  );
  for (const [definition, load] of BOTTLE_COMMANDS) {
    parser = parser.command(
      definition.command,
      definition.describe,
      definition.builder as never,
      chosen(load),
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
    const parser = await buildParser(program, rawArgs, context, (chosen) => {
      run = chosen;
    });
    await parser.parseAsync(rawArgs, {}, (_error, _argv, text) => {
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
