// A task project: @bottle/worker and @bottle/protocol, nothing else (docs/installing.md).
import { pset } from '@bottle/protocol';
import { currentTaskContext, defineTask, TaskBase } from '@bottle/worker/task';

export function scan() {
  return pset('lr', [0.1, 0.01])
    .times(pset('seed', [1, 2, 3]))
    .named('lr-sweep');
}

export class Task extends TaskBase<{ lr: number; seed: number }> {
  run(): { loss: number } {
    return { loss: this.params.lr * this.params.seed };
  }
}

export const square = defineTask({
  run(params: { n: number }) {
    const context = currentTaskContext();
    return { square: params.n * params.n, aborted: context?.signal.aborted ?? false };
  },
});
