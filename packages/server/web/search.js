// A search's scan on the dashboard: the scan records its objective (the result field to minimize or
// maximize), from which the page draws the best result so far and the objective over time.

/** The field an objective ranks by, and whether lower is better. */
export function objectiveField(objective) {
  return 'minimize' in objective
    ? { field: objective.minimize, lower: true }
    : { field: objective.maximize, lower: false };
}

/** The objective's value in a result: the finite number at its dotted path, else undefined. */
export function objectiveValue(objective, result) {
  let value = result;
  for (const part of objectiveField(objective).field.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = value[part];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The done tasks with a value, in finishing order, each with its value and the best value so far;
 * and the best task (the first to reach the best value).
 */
export function searchProgress(doneTasks, objective) {
  const { lower } = objectiveField(objective);
  const ordered = [...doneTasks].sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
  const steps = [];
  let best;
  for (const task of ordered) {
    const value = objectiveValue(objective, task.result);
    if (value === undefined) continue;
    if (!best || (lower ? value < best.value : value > best.value)) best = { task, value };
    steps.push({ value, best: best.value });
  }
  return { steps, best };
}

/** One line for the best so far: its value, parameters and output folder (named by the parameters' hash). */
export function bestLine(objective, progress) {
  const { field, lower } = objectiveField(objective);
  const goal = `${lower ? 'minimize' : 'maximize'} ${field}`;
  if (!progress.best) return `${goal}: no done task has that field yet`;
  const { task, value } = progress.best;
  return `${goal}: best ${value} at ${JSON.stringify(task.params)} (task ${task.key.slice(0, 12)}, output ${task.paramsHash.slice(0, 12)}), ${progress.steps.length} told`;
}
