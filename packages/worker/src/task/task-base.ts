/**
 * What task modules import: `TaskBase` (the original's class form) and `defineTask` (a function form).
 * Neither is required: a plain class with `run()` works too. The runner tells a task where it runs
 * through a context getter on `globalThis` that answers for the task whose code asks, so that this works
 * even when the task module imports another copy of this package.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Params } from '@bottle/protocol';

/** Where and how one task runs; given to `defineTask`'s `run` and read by `TaskBase`. */
export interface TaskContext {
  /** The worker root (absolute). */
  root: string;
  /** The task name (`path/to/module.exportName`). */
  task: string;
  /** The queue key of the task. */
  key: string;
  /** SHA-256 of the parameters' canonical JSON: the name of the output directory. */
  paramsHash: string;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * `<outDir>/<paramsHash>`: reading it makes the directory and its params.json (a task that never
   * reads it leaves nothing on disk). Empty while the output root is not known yet (in a constructor).
   */
  outputDir: string;
  /** Aborted when the task is to stop (timeout, cancel, forced stop). */
  signal: AbortSignal;
}

const contextKey = Symbol.for('bottle.taskContext');

/** The context of the task running in this process, if any (set by the runner). */
export function currentTaskContext(): TaskContext | undefined {
  return (globalThis as { [contextKey]?: TaskContext })[contextKey];
}

/** The default output root when a task does not say: `<root>/out`. */
export function defaultOutDir(root: string): string {
  return join(root, 'out');
}

/**
 * The original's task form: constructed with one parameter set; `run()` (sync or async) returns the
 * result. Override `outDir()` to choose the root under which `<paramsHash>/` is made, and
 * `transformParams(p)` to derive parameters; `processedParams()` gives them with `outputDir` filled in.
 *
 * @example
 * export class Task extends TaskBase<{ a: number }> {
 *   run() { writeFileSync(join(this.processedParams().outputDir, 'a.txt'), String(this.params.a)); }
 * }
 */
export abstract class TaskBase<P extends Params = Params> {
  readonly params: P;

  constructor(params: P) {
    this.params = params;
  }

  /** The root under which `<paramsHash>/` is made; relative paths are taken from the worker root. */
  outDir(): string {
    const context = currentTaskContext();
    return defaultOutDir(context?.root ?? process.cwd());
  }

  /** Derives the parameters `processedParams()` returns; the identity unless overridden. */
  transformParams(params: P & { outputDir: string }): Record<string, unknown> {
    return params;
  }

  /** The parameters with `outputDir` (this task's own directory, created) filled in, then transformed. */
  processedParams(): P & { outputDir: string } & Record<string, unknown> {
    const context = currentTaskContext();
    let outputDir = context?.outputDir ?? '';
    if (outputDir === '') {
      // Outside a runner (a test calling run() directly), or from a constructor.
      outputDir = resolve(context?.root ?? process.cwd(), this.outDir(), context?.paramsHash ?? 'unknown');
      mkdirSync(outputDir, { recursive: true });
    }
    return this.transformParams({ ...this.params, outputDir }) as P & { outputDir: string };
  }

  /** Runs the task (sync or async); its return value (JSON) is the result sent to the server. */
  abstract run(): unknown;
}

/** The function form of a task. */
export interface TaskDefinition<P extends Params = Params, R = unknown> {
  /** Runs one parameter set; the return value (JSON) is the result. */
  run(params: P, context: TaskContext): R | Promise<R>;
  /** The root under which `<paramsHash>/` is made (relative to the worker root); default `out`. */
  outDir?: string | ((params: P) => string);
}

/**
 * Declares a task as a function of its parameters. Export it under any name and name it
 * `path/to/module.exportName`.
 *
 * @example
 * export const task = defineTask({ run: (p: { n: number }, ctx) => ({ square: p.n * p.n }) });
 */
export function defineTask<P extends Params = Params, R = unknown>(
  definition: TaskDefinition<P, R>,
): TaskDefinition<P, R> {
  if (typeof definition?.run !== 'function') throw new TypeError('defineTask: `run` must be a function');
  return definition;
}
