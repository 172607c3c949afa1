/**
 * A search driver without a server: each submitted task runs in this process through `evaluate`,
 * with the same deduplication by task key as the queue. For tests, and for trying a strategy on a
 * function before spending workers on it.
 */
import { BottleError, hashParams, type JsonValue, type Params, taskKey } from '@bottle/protocol';
import type { FinishedTask, SearchDriver } from './driver.js';

/** Runs one task: its result, or a throw for a failed task. */
export type Evaluate = (task: string, params: Params) => JsonValue | Promise<JsonValue>;

export interface LocalDriver extends SearchDriver {
  /** Every task that ran, in the order it ended (across searches on this driver). */
  readonly ran: readonly FinishedTask[];
}

export function localDriver(evaluate: Evaluate): LocalDriver {
  const tasks = new Map<string, { scan: string; params: Params; finished?: FinishedTask }>();
  const ran: FinishedTask[] = [];
  let onFinish: ((task: FinishedTask) => void) | undefined;
  let clock = 0;

  const run = async (key: string, task: string, params: Params) => {
    let finished: FinishedTask;
    const base = { key, params, paramsHash: hashParams(params), finishedAt: ++clock };
    try {
      const result = await evaluate(task, params);
      finished = { ...base, state: 'done', result, error: null };
    } catch (error) {
      finished = {
        ...base,
        state: 'failed',
        result: null,
        error: String((error as Error)?.message ?? error),
      };
    }
    const entry = tasks.get(key);
    if (entry) entry.finished = finished;
    ran.push(finished);
    onFinish?.(finished);
  };

  return {
    ran,
    async follow(_scan, listener) {
      if (onFinish) throw new BottleError('ERR_USAGE', 'a local driver follows one search at a time');
      onFinish = listener;
    },
    async load(scan) {
      const finished: FinishedTask[] = [];
      const unfinished = [];
      for (const [key, entry] of tasks) {
        if (entry.scan !== scan) continue;
        if (entry.finished) finished.push(entry.finished);
        else unfinished.push({ key, params: entry.params });
      }
      return { finished: finished.sort((a, b) => a.finishedAt - b.finishedAt), unfinished };
    },
    async submit(scan, specs) {
      const ended: FinishedTask[] = [];
      for (const { task, params } of specs) {
        const key = taskKey(task, params);
        const known = tasks.get(key);
        if (known) {
          if (known.finished) ended.push(known.finished);
          continue;
        }
        tasks.set(key, { scan, params });
        // Later, as a queue would: the controller hears of it through its follower.
        setImmediate(() => void run(key, task, params));
      }
      return ended;
    },
    async lookup(keys) {
      return keys.flatMap((key) => tasks.get(key)?.finished ?? []);
    },
    async close() {
      onFinish = undefined;
    },
  };
}
