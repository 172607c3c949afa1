import { type BestTask, httpDriver, loadSearch, runSearch } from '@bottle/worker/search';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { positiveInt } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import type { SearchArgs } from '../commands/search.js';

/**
 * `bottle search module.search`: the controller of an ask/tell search, beside the server. Ctrl-C
 * stops it (tasks in flight stay queued); run again, it replays the scan's results and goes on.
 */
export async function runSearchCommand(argv: SearchArgs, context: CliContext): Promise<number> {
  const maxTasks = positiveInt('max-tasks', argv['max-tasks']);
  const maxParallel = positiveInt('max-parallel', argv['max-parallel']);
  if (argv.scan !== undefined && !/^[\w.\-:@+]{1,200}$/.test(argv.scan))
    throw new UsageError('--scan: scan names use letters, digits and _ . - : @ +');
  const search = await loadSearch(argv.search, argv.root ?? context.cwd);
  if (argv.scan !== undefined) search.scan = argv.scan;
  if (maxTasks !== undefined) search.budget.maxTasks = maxTasks;
  if (maxParallel !== undefined) search.budget.maxParallel = maxParallel;
  const field = 'minimize' in search.objective ? search.objective.minimize : search.objective.maximize;

  await using client = clientFor(argv, context);
  const say = (text: string) => context.stderr(`bottle search: ${text}\n`);
  const stop = new AbortController();
  const removeHandlers = onStopSignals(
    () => {
      say('stopping (tasks in flight stay queued; run again to resume; Ctrl-C again to quit now)');
      stop.abort();
    },
    () => process.exit(exitCodes.interrupted),
  );
  let lastBest: number | undefined;
  try {
    say(
      `scan '${search.scan}': ${search.budget.maxTasks} tasks at most, ${search.budget.maxParallel} at a time`,
    );
    const outcome = await runSearch(search, {
      driver: httpDriver(client, {
        onLink: (state) =>
          say(state === 'lost' ? 'lost the server; reconnecting' : 'server back; following again'),
      }),
      signal: stop.signal,
      onTold: ({ told, best }) => {
        if (best === undefined || best.value === lastBest) return;
        lastBest = best.value;
        say(`${told} told, best ${field} ${best.value} at ${JSON.stringify(best.params)}`);
      },
    });
    if (argv.json) context.stdout(`${JSON.stringify(outcome)}\n`);
    else context.stdout(summary(outcome.scan, outcome.reason, outcome.told, field, outcome.best));
    return outcome.reason === 'stopped' ? exitCodes.interrupted : exitCodes.ok;
  } finally {
    removeHandlers();
  }
}

const REASONS = {
  target: 'reached the target',
  budget: 'spent its budget',
  exhausted: 'has nothing more to propose',
  stopped: 'was stopped',
};

/** What a search ended with, for a person: why it stopped, the best value, its parameters and folder. */
export function summary(
  scan: string,
  reason: keyof typeof REASONS,
  told: number,
  field: string,
  best?: BestTask,
): string {
  const head = `search '${scan}' ${REASONS[reason]} after ${told} tasks`;
  if (!best) return `${head}; no task has a ${field} yet\n`;
  return [
    head,
    `best ${field}: ${best.value}`,
    `params: ${JSON.stringify(best.params)}`,
    `task: ${best.key}`,
    `output: out/${best.paramsHash} (under the --out folder of the worker that ran it)`,
    '',
  ].join('\n');
}
