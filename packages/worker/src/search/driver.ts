/**
 * What the controller needs of a queue, so that one controller runs over HTTP (httpDriver) and in
 * process (localDriver, for tests and for strategies tried without a server).
 */
import type { JsonValue, Objective, Params, TaskInfo, TaskSpec } from '@bottle/protocol';

/** A task of the search's scan that ended. */
export interface FinishedTask {
  key: string;
  params: Params;
  paramsHash: string;
  state: 'done' | 'failed' | 'cancelled';
  result: JsonValue | null;
  error: string | null;
  /** Epoch ms; the replay on start tells tasks in this order. */
  finishedAt: number;
}

/** What a follower hears of a finish: the parameters only when the driver has them at hand. */
export type FinishNotice = Omit<FinishedTask, 'params' | 'paramsHash'> &
  Partial<Pick<FinishedTask, 'params' | 'paramsHash'>>;

/** A task submitted before (by an earlier controller) that has not ended yet. */
export interface UnfinishedTask {
  key: string;
  params: Params;
}

export interface SearchDriver {
  /**
   * Starts following the scan's finished tasks and resolves once it follows: no finish after that is
   * missed. `onFinish` may hear of a task more than once (after a reconnect); the controller keeps the
   * first, and takes the parameters of a notice without them from what it submitted.
   */
  follow(scan: string, onFinish: (task: FinishNotice) => void): Promise<void>;
  /** The scan's tasks now: those that ended, in the order they ended, and those that have not. */
  load(scan: string): Promise<{ finished: FinishedTask[]; unfinished: UnfinishedTask[] }>;
  /**
   * Submits tasks through the queue's one submit entry (deduplicated by task key); answers those of
   * them that had already ended (submitted before, in any scan), which the queue does not run again.
   * The scan records `objective`, so that status, results and the dashboard rank by it unasked.
   */
  submit(scan: string, specs: TaskSpec[], objective?: Objective): Promise<FinishedTask[]>;
  /** Those of `keys` that have ended: for tasks whose finish the follower cannot tell (an expiry, a cancel). */
  lookup(keys: readonly string[]): Promise<FinishedTask[]>;
  /** Stops following. */
  close(): Promise<void>;
}

/** The finished states. */
export const finishedStates: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);

/** A finished task as the queue lists it, as the controller tells it. */
export function finishedOf(task: TaskInfo): FinishedTask {
  return {
    key: task.key,
    params: task.params,
    paramsHash: task.paramsHash,
    state: task.state as FinishedTask['state'],
    result: task.result,
    error: task.error,
    finishedAt: task.finishedAt ?? task.updatedAt,
  };
}

/** Those of `keys` that have ended, read one by one from wherever `getTask` reads the queue. */
export async function endedTasks(
  getTask: (key: string) => Promise<{ task: TaskInfo }>,
  keys: readonly string[],
): Promise<FinishedTask[]> {
  const ended: FinishedTask[] = [];
  for (const key of keys) {
    const { task } = await getTask(key);
    if (finishedStates.has(task.state)) ended.push(finishedOf(task));
  }
  return ended;
}
