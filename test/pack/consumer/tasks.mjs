// A task module of the consumer's own: its @bottle/* imports resolve to the consumer's node_modules.
import { TaskBase } from '@bottle/worker';

export class Task extends TaskBase {
  run() {
    return { double: this.params.n * 2 };
  }
}
