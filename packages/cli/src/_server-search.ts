import type { BottleLogger } from '@bottle/protocol';
import type { BottleServer } from '@bottle/server';
import { queueDriver, type ResolvedSearch, runSearch, type SearchOutcome } from '@bottle/worker/search';
import { summary } from './run/search.js';

export interface ServerSearch {
  /** Settles when the search ends (it stopped proposing and its last task was told), or fails. */
  readonly done: Promise<SearchOutcome>;
  /** Stops proposing; the tasks in flight stay queued, for the next start to replay. */
  stop(): Promise<void>;
}

/**
 * `bottle-server -p module.search`: the search runs in the server process, over the queue itself
 * (queueDriver). On every start it replays the scan's finished tasks, so a server killed mid-search
 * and started again with the same `-p` goes on where it was. The outcome goes to `write` (stdout).
 */
export function startServerSearch(
  search: ResolvedSearch,
  server: BottleServer,
  logger: BottleLogger,
  write: (text: string) => void,
): ServerSearch {
  const stopping = new AbortController();
  const field = 'minimize' in search.objective ? search.objective.minimize : search.objective.maximize;
  let lastBest: number | undefined;
  const driver = queueDriver({
    submit: (request) => server.submit(request),
    onFinished: (listener) => server.router.queue.onFinished(listener),
    listTasks: (filter) => server.store.listTasks(filter),
    getTask: (key) => server.store.getTask(key),
  });
  const done = runSearch(search, {
    driver,
    signal: stopping.signal,
    onTold: ({ told, best }) => {
      if (best === undefined || best.value === lastBest) return;
      lastBest = best.value;
      logger.info(
        `search '${search.scan}': ${told} told, best ${field} ${best.value} at ${JSON.stringify(best.params)}`,
      );
    },
  });
  const ended = done.then(
    (outcome) => {
      if (outcome.reason === 'stopped') return;
      const text = summary(outcome.scan, outcome.reason, outcome.told, field, outcome.best);
      write(text.replace(/^/gm, 'bottle-server: ').replace(/bottle-server: $/, ''));
    },
    (error: unknown) => logger.error(`search '${search.scan}' failed: ${(error as Error).message}`),
  );
  return {
    done,
    async stop() {
      stopping.abort();
      await ended;
    },
  };
}
