// The CLI user's task module: its @bottle imports resolve to the worker's own copies even where the
// project declares only @bottle/cli (a pnpm project lets a package import only what it declares).
import { pset } from '@bottle/protocol';
import { TaskBase } from '@bottle/worker/task';

export const scan = () =>
  pset(
    'n',
    Array.from({ length: 20 }, (_, n) => n),
  ).named('cli-sweep');

export class Task extends TaskBase {
  run() {
    return { double: this.params.n * 2 };
  }
}
