/**
 * Queued tasks that no worker can take: a task asking 2 GPUs while every worker heard from lately has
 * one waits for good, and the read side says so (`unfit`) instead of leaving it silently queued.
 */
import type { TaskInfo } from '@bottle/protocol';
import { withWorkerStates } from '../events/worker-state.js';
import { fitsNoWorker } from '../store/fit.js';
import type { Store } from '../store/store.js';

/** `tasks` with `unfit: true` on each queued one that fits none of the workers alive now. */
export async function markUnfit(
  tasks: TaskInfo[],
  store: Pick<Store, 'listWorkers'>,
  now: number,
  staleWorkerMs: number,
): Promise<TaskInfo[]> {
  const asking = (task: TaskInfo) => task.state === 'queued' && (task.resources ?? task.needs) !== undefined;
  if (!tasks.some(asking)) return tasks;
  const { workers } = withWorkerStates(await store.listWorkers(), now, staleWorkerMs);
  return tasks.map((task) =>
    asking(task) && fitsNoWorker({ resources: task.resources ?? {}, needs: task.needs ?? [] }, workers)
      ? { ...task, unfit: true }
      : task,
  );
}
