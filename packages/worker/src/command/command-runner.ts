/**
 * The pool's runner for command tasks: each job is a program started for it (command-run.ts) by one
 * of the worker's command launchers (launcher.ts).
 */
import type { AbortReason, RunEnd, RunJob, TaskRunner } from '../runner/runner.js';
import { type CommandRun, runCommand } from './command-run.js';
import { Launchers } from './launcher.js';
import type { CommandTaskFile } from './task-file.js';

export interface CommandRunnerOptions {
  host: string;
  workerId: string;
  /** How long a program may take to end after SIGTERM before its group is SIGKILLed. */
  stopGraceMs: number;
  /** The worker's slots: how many programs may run at once (one launcher per 4). */
  slots: number;
}

export class CommandRunner implements TaskRunner {
  readonly #running = new Map<number, CommandRun>();
  readonly #launchers: Launchers;

  constructor(
    private readonly commands: CommandTaskFile,
    private readonly options: CommandRunnerOptions,
  ) {
    this.#launchers = new Launchers(options.slots);
  }

  async run(job: RunJob): Promise<RunEnd> {
    const command = this.commands.tasks.get(job.task);
    if (command === undefined) {
      return {
        kind: 'failed',
        code: 'ERR_MODULE_NOT_FOUND',
        message: `task "${job.task}" is not defined in ${this.commands.file}`,
        retryable: false,
        outputDir: undefined,
      };
    }
    const { host, workerId, stopGraceMs } = this.options;
    const run = runCommand(command, { ...job, host, workerId, stopGraceMs }, this.#launchers);
    this.#running.set(job.id, run);
    try {
      return await run.end;
    } finally {
      this.#running.delete(job.id);
    }
  }

  abort(id: number, reason: AbortReason): void {
    this.#running.get(id)?.abort(reason);
  }

  /** Stops every program still running (their tasks end as released) and waits for them. */
  async close(): Promise<void> {
    const ends = [...this.#running.values()].map((run) => {
      run.abort('released');
      return run.end;
    });
    await Promise.all(ends);
    await this.#launchers.close();
  }
}
