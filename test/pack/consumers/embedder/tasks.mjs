// The embedder's task module, loaded by the Worker from the project folder.
import { TaskBase } from '@bottle/worker/task';

export class Task extends TaskBase {
  run() {
    return { double: this.params.n * 2 };
  }
}
