/**
 * An adaptive sweep: find the minimum of a quadratic bowl, f(x, y) = (x - 1.5)² + (y + 0.5)², whose
 * optimum is 0 at (1.5, -0.5), without running a full grid. `search` draws points at random until
 * one is within 0.1 of the optimum (the target), in at most 200 tasks, 4 at a time.
 *
 *   bottle-server &
 *   bottle-worker http://127.0.0.1:1988 -x 2 &
 *   bottle search examples/quadratic.search --server http://127.0.0.1:1988
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomSearch } from '@bottle/worker/search';
import { defineTask } from '@bottle/worker/task';

/** The function the search minimises; exported for the example's test. */
export function bowl(x: number, y: number): number {
  return (x - 1.5) ** 2 + (y + 0.5) ** 2;
}

export const task = defineTask({
  run(params: { x: number; y: number }, ctx) {
    const loss = bowl(params.x, params.y);
    writeFileSync(join(ctx.outputDir, 'loss.txt'), `${loss}\n`);
    return { loss };
  },
});

export function search() {
  return {
    task: 'task',
    objective: { minimize: 'loss' },
    budget: { maxTasks: 200, maxParallel: 4, target: 0.1 },
    ...randomSearch({ x: { uniform: [-2, 2] }, y: { uniform: [-2, 2] } }, { seed: 7 }),
  };
}
