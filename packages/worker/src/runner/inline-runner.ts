/**
 * Isolation `none`: tasks run in the worker's own event loop, like an in-process queue processor.
 * The fastest path, for trusted, short tasks: a task that throws is caught, but one that calls
 * `process.exit`, crashes or blocks the event loop takes the worker with it, and a task that ignores
 * `kill()` keeps running after the worker has ended it (it cannot be killed). Console output written
 * while a task runs goes to its log files, routed by async context.
 */
import { TaskExecutor } from './execute.js';
import { JobBook, type JobBookOptions } from './job-book.js';
import type { AbortReason, RunEnd, RunJob, TaskRunner } from './runner.js';

export class InlineRunner implements TaskRunner {
  readonly #book: JobBook<null>;
  readonly #executor: TaskExecutor;

  constructor(options: JobBookOptions) {
    // A task that ignored kill() past the grace period is ended in the book; its code runs on.
    this.#book = new JobBook<null>(options, {
      ask: (tracked) => this.#executor.kill(tracked.job.id),
      force: (tracked) => this.#book.endAborted(tracked),
    });
    this.#executor = new TaskExecutor((event) => this.#book.onEvents([event]));
  }

  run(job: RunJob): Promise<RunEnd> {
    const message = this.#book.message(job);
    if (!('id' in message)) return Promise.resolve(message);
    const end = this.#book.add(job, null, process.pid);
    this.#executor.run(message);
    return end;
  }

  abort(id: number, reason: AbortReason): void {
    this.#book.abort(id, reason);
  }

  async close(): Promise<void> {
    this.#executor.close();
  }
}
