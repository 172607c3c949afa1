/** The best tasks of a scan under an objective, for `bottle results --best` and `bottle status`. */
import type { TaskInfo } from '@bottle/protocol';
import { isBetter, type Objective, objectiveValue } from './search.js';

export interface RankedTask {
  task: TaskInfo;
  value: number;
}

/**
 * The `k` done tasks with the best objective values, best first (ties in finishing order). Tasks
 * that are not done, or whose result has no finite number at the objective's field, are left out.
 */
export function bestTasks(tasks: Iterable<TaskInfo>, objective: Objective, k: number): RankedTask[] {
  const ranked: RankedTask[] = [];
  for (const task of tasks) {
    if (task.state !== 'done') continue;
    const value = objectiveValue(objective, task.result);
    if (value !== undefined) ranked.push({ task, value });
  }
  ranked.sort(
    (a, b) =>
      (isBetter(objective, a.value, b.value) ? -1 : isBetter(objective, b.value, a.value) ? 1 : 0) ||
      (a.task.finishedAt ?? 0) - (b.task.finishedAt ?? 0),
  );
  return ranked.slice(0, k);
}
