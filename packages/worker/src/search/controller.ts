/**
 * runSearch: the controller of an ask/tell search. It replays the scan's finished tasks into `tell`
 * (so that a restarted controller picks up where the last one stopped), then asks for as many
 * parameter sets as the budget leaves room for, submits them in one request, and tells each result
 * as it arrives. Finishes that arrive together are told together, and answered with one ask and
 * one submit: the controller costs a sweep a round trip per batch, not per task.
 */
import {
  assertParams,
  BottleError,
  hashParams,
  type JsonValue,
  type Params,
  taskIdentity,
} from '@bottle/protocol';
import type { FinishedTask, FinishNotice, SearchDriver } from './driver.js';
import { isBetter, objectiveValue, type ResolvedSearch, type Told } from './search.js';

/** The best told task. */
export interface BestTask {
  params: Params;
  value: number;
  key: string;
  paramsHash: string;
  result: JsonValue | null;
}

/** Why the search stopped proposing. */
export type StopReason = 'target' | 'budget' | 'exhausted' | 'stopped';

export interface SearchOutcome {
  scan: string;
  reason: StopReason;
  /** Distinct tasks told (replayed ones included). */
  told: number;
  /** Tasks this controller submitted that the queue had not run before. */
  submitted: number;
  best: BestTask | undefined;
}

export interface RunSearchOptions {
  driver: SearchDriver;
  /** Stops the controller: nothing more is submitted; tasks in flight stay queued for the next one. */
  signal?: AbortSignal | undefined;
  /** With tasks in flight and no finish heard for this long, the controller reads them (default 15 s). */
  recheckMs?: number;
  /** Told after each task is told: the progress so far. */
  onTold?: (progress: { told: number; inFlight: number; best: BestTask | undefined }) => void;
}

/** A search with maxParallel m waits for m / SUBMIT_SHARE free places before it asks and submits. */
const SUBMIT_SHARE = 4;

/** Rounds in a row whose proposals were all told already before the space counts as exhausted. */
const MAX_IDLE_ROUNDS = 100;

export async function runSearch(search: ResolvedSearch, options: RunSearchOptions): Promise<SearchOutcome> {
  const { driver, signal } = options;
  const { maxTasks, maxParallel, target } = search.budget;
  const submitBatch = Math.max(1, Math.floor(maxParallel / SUBMIT_SHARE));
  const told = new Map<string, FinishedTask>();
  /** Tasks submitted and not told yet, by key: their parameters and, when known, their hash. */
  const inFlight = new Map<string, { params: Params; paramsHash?: string }>();
  let arrived: FinishNotice[] = [];
  let wake: (() => void) | undefined;
  let best: BestTask | undefined;
  let submitted = 0;

  const toldOf = (task: FinishedTask): Told => ({
    value: task.state === 'done' ? objectiveValue(search.objective, task.result) : undefined,
    state: task.state,
    result: task.result,
    error: task.error,
    objective: search.objective,
    key: task.key,
    paramsHash: task.paramsHash,
  });
  /** Tells one finish; a promise only when the search's tell answers one (most are synchronous). */
  const learn = (notice: FinishNotice): Promise<void> | undefined => {
    if (told.has(notice.key)) return;
    const waited = inFlight.get(notice.key);
    const params = notice.params ?? waited?.params;
    // Not a task this search waits for (nor one it replays): not its own.
    if (params === undefined) return;
    const paramsHash = notice.paramsHash ?? waited?.paramsHash ?? hashParams(params);
    const task: FinishedTask = { ...notice, params, paramsHash };
    told.set(task.key, task);
    inFlight.delete(task.key);
    const outcome = toldOf(task);
    const learnt = () => {
      if (outcome.value !== undefined && isBetter(search.objective, outcome.value, best?.value)) {
        const { params, key, paramsHash, result } = task;
        best = { params, value: outcome.value, key, paramsHash, result };
      }
      options.onTold?.({ told: told.size, inFlight: inFlight.size, best });
    };
    const telling = ownCode('tell', () => search.tell(task.params, outcome));
    if (telling === undefined) {
      learnt();
      return undefined;
    }
    return telling.then(learnt);
  };
  const learnArrived = async () => {
    while (arrived.length > 0) {
      const batch = arrived;
      arrived = [];
      for (const task of batch) {
        const telling = learn(task);
        if (telling) await telling;
      }
    }
  };
  const reached = () =>
    target !== undefined &&
    best !== undefined &&
    ('minimize' in search.objective ? best.value <= target : best.value >= target);

  /** One ask, one submit. Answers how many were proposed, submitted, and told again from before. */
  const proposeRound = async (room: number) => {
    const proposals = await ownCode(`ask(${room})`, () => search.ask(room));
    if (!Array.isArray(proposals))
      throw new BottleError(
        'ERR_BAD_SEARCH',
        `ask(${room}) returned ${typeof proposals}, not an array of parameter sets`,
      );
    const specs = [];
    let retold = 0;
    for (const params of proposals.slice(0, room)) {
      try {
        assertParams(params, 'params');
      } catch (cause) {
        throw new BottleError(
          'ERR_BAD_SEARCH',
          `ask(${room}) proposed ${JSON.stringify(params)}, not a parameter set (a plain object of JSON values): ${(cause as Error).message}`,
          { cause },
        );
      }
      const { key, paramsHash } = taskIdentity(search.task, params);
      const before = told.get(key);
      if (before) {
        // Asked again for a set that ran: told from what the queue holds, never run twice.
        await ownCode('tell', () => search.tell(before.params, toldOf(before)));
        retold++;
      } else if (!inFlight.has(key)) {
        inFlight.set(key, { params, paramsHash });
        specs.push({ task: search.task, params });
      }
    }
    if (specs.length > 0) {
      const ended = await driver.submit(search.scan, specs, search.objective);
      submitted += specs.length - ended.length;
      arrived.push(...ended);
    }
    return { proposed: proposals.length, submitted: specs.length, retold };
  };

  /** Until a finish arrives, the controller is stopped, or the recheck timer reads the tasks in flight. */
  const nextFinish = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        // A failed read (the server is restarting) is tried again at the next quiet period.
        driver.lookup([...inFlight.keys()]).then((ended) => {
          arrived.push(...ended);
          done();
        }, done);
      }, options.recheckMs ?? 15_000);
      signal?.addEventListener('abort', done, { once: true });
      wake = done;
    });

  await driver.follow(search.scan, (task) => {
    arrived.push(task);
    wake?.();
  });
  try {
    const { finished, unfinished } = await driver.load(search.scan);
    for (const task of finished) await learn(task);
    for (const task of unfinished) if (!told.has(task.key)) inFlight.set(task.key, { params: task.params });
    let reason: StopReason | undefined;
    let idleRounds = 0;
    for (;;) {
      await learnArrived();
      if (signal?.aborted) {
        reason = 'stopped';
        break;
      }
      if (reason === undefined && reached()) reason = 'target';
      if (reason === undefined && told.size + inFlight.size >= maxTasks && inFlight.size === 0)
        reason = 'budget';
      const left = maxTasks - told.size - inFlight.size;
      const room = reason ? 0 : Math.min(maxParallel - inFlight.size, left);
      // Wide searches submit in batches of a quarter of maxParallel at least: a submit costs the
      // queue a transaction, and a thin trickle of them cost more than the tasks (bench/search.mjs).
      if (room > 0 && (room >= submitBatch || room === left || inFlight.size === 0)) {
        const round = await proposeRound(room);
        if (round.proposed === 0 && inFlight.size === 0 && arrived.length === 0) reason = 'exhausted';
        else if (round.submitted === 0 && round.retold > 0 && inFlight.size === 0) {
          if (++idleRounds >= MAX_IDLE_ROUNDS) reason = 'exhausted';
          continue;
        } else idleRounds = 0;
        if (arrived.length > 0) continue;
      }
      if (inFlight.size === 0 && arrived.length === 0) {
        if (reason !== undefined) break;
        continue;
      }
      if (arrived.length === 0) await nextFinish();
    }
    return { scan: search.scan, reason, told: told.size, submitted, best };
  } finally {
    await driver.close();
  }
}

/**
 * Runs the search's own ask or tell: what it throws (or rejects with) is the search's fault, said so
 * (ERR_BAD_SEARCH). A synchronous answer stays synchronous (undefined for a tell that returned
 * nothing): telling 10^4 results costs no promise each.
 */
function ownCode<T>(what: string, run: () => T | Promise<T>): Promise<T> | undefined {
  const blame = (cause: unknown) =>
    new BottleError(
      'ERR_BAD_SEARCH',
      `the search's ${what} threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  let answer: T | Promise<T>;
  try {
    answer = run();
  } catch (cause) {
    throw blame(cause);
  }
  if (answer === undefined) return undefined;
  return Promise.resolve(answer).catch((cause: unknown) => {
    throw blame(cause);
  });
}
