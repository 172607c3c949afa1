/**
 * Turns an export into something the runner can run: the class form (`new Task(params)`, `run()`,
 * `outDir()`, `kill()`) or the `defineTask` form. Used inside the task's child process.
 */
import { isAbsolute, resolve } from 'node:path';
import { BottleError, type Params } from '@bottle/protocol';
import { defaultOutDir, type TaskContext, type TaskDefinition } from './task-base.js';

/** A task ready to run: where its outputs go, how to run it, how to ask it to stop. */
export interface PreparedTask {
  /** The absolute output root; the task's directory is `<outRoot>/<paramsHash>`. */
  outRoot: string;
  run(): Promise<unknown>;
  /** Asks the task to stop (its `kill()`, or aborting the context signal). */
  kill(): void;
}

interface TaskInstance {
  run(): unknown;
  outDir?(): string;
  kill?(): unknown;
}

type TaskClass = new (params: Params) => TaskInstance;

/** True when `value` is a class (or constructor function) whose instances have `run()`. */
export function isTaskClass(value: unknown): value is TaskClass {
  return (
    typeof value === 'function' &&
    typeof (value as { prototype?: { run?: unknown } }).prototype?.run === 'function'
  );
}

/** True for a `defineTask(...)` object (anything with a `run` function that is not a class). */
export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return (
    typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function'
  );
}

/**
 * Prepares `value` (an export) to run with `params`. The context must be set on `globalThis`
 * (the runner's async context) before this is called: a `TaskBase` constructor may read it.
 */
export function prepareTask(
  value: unknown,
  params: Params,
  context: TaskContext,
  abort: AbortController,
): PreparedTask {
  const toAbsolute = (dir: string) => (isAbsolute(dir) ? dir : resolve(context.root, dir));
  if (isTaskClass(value)) {
    const instance = new value(params);
    const outRoot = toAbsolute(
      typeof instance.outDir === 'function' ? instance.outDir() : defaultOutDir(context.root),
    );
    return {
      outRoot,
      run: async () => instance.run(),
      kill: () => {
        abort.abort();
        if (typeof instance.kill === 'function') instance.kill();
      },
    };
  }
  if (isTaskDefinition(value)) {
    const outDir = value.outDir;
    const dir = typeof outDir === 'function' ? outDir(params) : (outDir ?? defaultOutDir(context.root));
    return {
      outRoot: toAbsolute(dir),
      run: async () => value.run(params, context),
      kill: () => abort.abort(),
    };
  }
  if (typeof value === 'function' && Array.isArray(params['results'])) {
    // A reduce export, `reduce(results, ctx)`: the worker put the scan's results in its parameters.
    const results = params['results'];
    return {
      outRoot: toAbsolute(defaultOutDir(context.root)),
      run: async () => (value as (rows: unknown, ctx: TaskContext) => unknown)(results, context),
      kill: () => abort.abort(),
    };
  }
  throw new BottleError(
    'ERR_BAD_TASK_MODULE',
    `${context.task} is a ${typeof value}, not a task: export a class with a run() method ` +
      '(optionally extending TaskBase) or defineTask({ run(params, ctx) { ... } })',
  );
}
