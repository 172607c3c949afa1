/**
 * Loads a scan: an export that is a function returning a ParamSet, an array of parameter objects,
 * or `{ task, params, resources?, needs? }` naming the task its parameters run with and what each
 * task asks (docs/resources.md); or a sweep file (YAML or JSON, see
 * docs/sweeps.md), a scan written as data.
 */
import { resolve } from 'node:path';
import {
  BottleError,
  isParamSet,
  type Params,
  parseLabels,
  parseResources,
  type Sweep,
  sweepFromSpec,
  type TaskSpec,
} from '@bottle/protocol';
import { readDataFile } from '../_data-file.js';
import { exportNames, type LoadedTaskModule, loadTaskModule } from './load-module.js';

/** A scan ready to submit. */
export interface LoadedScan {
  /** The scan name: the ParamSet's `.named(...)`, else the export name. */
  name: string;
  /** The task its parameters run with (`path/to/module.exportName`). */
  task: string;
  /** How many tasks, when known without iterating. */
  size?: number;
  /** The tasks, built lazily (a 10^6 sweep streams). */
  specs: Iterable<TaskSpec> | AsyncIterable<TaskSpec>;
}

/** Options of {@link loadScan}. */
export interface LoadScanOptions {
  /** Directory module specs are resolved in; default `process.cwd()`. */
  root?: string;
  /** Max attempts and timeout to put on every task spec. */
  maxAttempts?: number;
  timeoutMs?: number;
}

type ParamSource = Iterable<Params> | AsyncIterable<Params>;

const SWEEP_FILE = /\.(ya?ml|json)$/i;

/**
 * Loads `spec` (`path/to/module.scanExport`), calls the export and returns the tasks it describes.
 * The task is, in order: the `task` the scan returned (`{ task, params }`; an export name of the same
 * module, or a full `path/to/module.exportName`), else the module's `Task` export, else its `task` export.
 * A spec ending in `.yaml`, `.yml` or `.json` is a sweep file, read relative to `root`.
 */
export async function loadScan(spec: string, options: LoadScanOptions = {}): Promise<LoadedScan> {
  const root = options.root ?? process.cwd();
  if (SWEEP_FILE.test(spec)) {
    const data = readDataFile(resolve(root, spec), 'ERR_BAD_PARAM_SET', 'the sweep file', spec);
    return sweepScan(sweepFromSpec(data, spec));
  }
  const { resolved, exports, value } = await loadTaskModule(spec, root);
  const where = `${resolved.module}.${resolved.exportName}`;
  if (typeof value !== 'function') {
    throw new BottleError(
      'ERR_BAD_TASK_MODULE',
      `${where} is a ${typeof value}, not a scan: export a function returning a ParamSet (pset(...)), an array of parameter objects, or { task, params }`,
    );
  }
  return scanOfExport({ resolved, exports }, await (value as () => unknown)(), options);
}

/** A module's scan from what its export returned (loadScan, once it has called the export). */
export function scanOfExport(
  { resolved, exports }: Pick<LoadedTaskModule, 'resolved' | 'exports'>,
  returnedValue: unknown,
  options: LoadScanOptions = {},
): LoadedScan {
  const where = `${resolved.module}.${resolved.exportName}`;
  let returned = returnedValue;
  let taskName: string | undefined;
  let needsOf: (params: Params) => Partial<TaskSpec> = () => ({});
  if (isTaskAndParams(returned)) {
    taskName = returned.task.includes('.') ? returned.task : `${resolved.module}.${returned.task}`;
    needsOf = scanNeeds(returned, where);
    returned = returned.params;
  } else if ('Task' in exports) taskName = `${resolved.module}.Task`;
  else if ('task' in exports) taskName = `${resolved.module}.task`;
  if (taskName === undefined) {
    throw new BottleError(
      'ERR_BAD_TASK_MODULE',
      `${where}: no task to run its parameters with; export a class Task (or a defineTask as task) from ${resolved.module}, or return { task, params } from the scan. The module exports: ${exportNames(exports).join(', ')}`,
    );
  }
  let source: ParamSource;
  let size: number | undefined;
  let name = resolved.exportName;
  if (isParamSet(returned)) {
    source = returned as Iterable<Params>;
    size = returned.size;
    name = returned.name ?? name;
  } else if (Array.isArray(returned)) {
    source = returned as Params[];
    size = returned.length;
  } else if (isIterable(returned)) {
    source = returned as ParamSource;
  } else {
    throw new BottleError(
      'ERR_BAD_TASK_MODULE',
      `${where} returned a ${returned === null ? 'null' : typeof returned}, not parameter sets: return a ParamSet (pset(...)), an array of parameter objects, or { task, params }`,
    );
  }
  const extra = specLimits(options);
  const task = taskName;
  const specs = isAsyncIterable(source)
    ? (async function* () {
        for await (const params of source) yield { task, params, scan: name, ...extra, ...needsOf(params) };
      })()
    : (function* () {
        for (const params of source as Iterable<Params>)
          yield { task, params, scan: name, ...extra, ...needsOf(params) };
      })();
  return { name, task, ...(size === undefined ? {} : { size }), specs };
}

/** A sweep (a sweep file's, or `--grid` on a command line) as a scan ready to submit. */
export function sweepScan(sweep: Sweep): LoadedScan {
  const extra = specLimits(sweep);
  const { task, scan, params } = sweep;
  function* specs(): Generator<TaskSpec> {
    for (const p of params) yield { task, params: p as Params, scan, ...extra };
  }
  return { name: scan, task, size: params.size, specs: specs() };
}

/** The attempts, timeout, priority and needs to put on every task spec, those that are set. */
function specLimits(from: Pick<TaskSpec, 'maxAttempts' | 'timeoutMs' | 'priority' | 'resources' | 'needs'>) {
  return {
    ...(from.priority === undefined ? {} : { priority: from.priority }),
    ...(from.maxAttempts === undefined ? {} : { maxAttempts: from.maxAttempts }),
    ...(from.timeoutMs === undefined ? {} : { timeoutMs: from.timeoutMs }),
    ...(from.resources === undefined ? {} : { resources: from.resources }),
    ...(from.needs === undefined ? {} : { needs: from.needs }),
  };
}

/**
 * The needs a scan's `{ task, params, resources?, needs? }` gives its tasks: the same for each, or
 * `resources` as a function of each task's parameters. ERR_BAD_RESOURCES names the scan.
 */
function scanNeeds(returned: TaskAndParams, where: string): (params: Params) => Partial<TaskSpec> {
  const needs = returned.needs === undefined ? {} : { needs: parseLabels(returned.needs, `${where} needs`) };
  const { resources } = returned;
  if (typeof resources === 'function') {
    return (params) => ({
      resources: parseResources((resources as (p: Params) => unknown)(params), `${where} resources`),
      ...needs,
    });
  }
  const fixed = {
    ...(resources === undefined ? {} : { resources: parseResources(resources, `${where} resources`) }),
    ...needs,
  };
  return () => fixed;
}

interface TaskAndParams {
  task: string;
  params: unknown;
  resources?: unknown;
  needs?: unknown;
}

function isTaskAndParams(value: unknown): value is TaskAndParams {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !isParamSet(value) &&
    typeof (value as { task?: unknown }).task === 'string' &&
    'params' in value
  );
}

function isIterable(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value)
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Params> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
