import {
  BottleError,
  isBottleError,
  type Params,
  type Resources,
  type SubmitChunk,
  type SubmitResponse,
  submitInChunks,
  type TaskSpec,
} from '@bottle/protocol';
import { type LoadedScan, loadScan } from '@bottle/worker/task';
import type { CliContext } from './_context.js';
import { progressLine } from './_progress.js';

/** Parameter sets a dry run shows. */
const PREVIEW = 5;

export interface SubmitOutcome extends SubmitResponse {
  scan: string;
  task: string;
  total: number;
  /** The first parameter sets (a dry run prints them). */
  preview: Params[];
}

export interface SubmitOptions {
  root: string;
  /** Sends one chunk: the client's submit, or the server's own. */
  submit: SubmitChunk;
  rerun?: boolean;
  /** Priority of the submitted tasks (higher first). */
  priority?: number | undefined;
  /** The scan's reduce task (module.export or a command task). */
  reduce?: string | undefined;
  /** What tasks that give none hold while they run (`--resources`). */
  resources?: Resources | undefined;
  /** Labels for tasks that give none (`--needs`). */
  needs?: string[] | undefined;
  dryRun?: boolean;
  context: CliContext;
}

/** Loads `spec`, a module's scan (module.export) or a sweep file (.yaml/.yml/.json), and submits it. */
export async function submitScanSpec(spec: string, options: SubmitOptions): Promise<SubmitOutcome> {
  const scan = await loadScan(spec, { root: options.root }).catch((error: unknown) => {
    throw scanError(spec, error);
  });
  return submitScan(scan, options, spec);
}

/** A dry run counts: every chunk is answered as if nothing was sent. */
const countOnly: SubmitChunk = async () => ({ created: 0, existing: 0, requeued: 0 });

/**
 * Submits a loaded scan's tasks in chunks (`submitInChunks`), streaming: a million-task sweep is
 * never held in memory. With `dryRun`, only counts.
 */
export async function submitScan(
  scan: LoadedScan,
  options: SubmitOptions,
  spec = scan.name,
): Promise<SubmitOutcome> {
  const preview: Params[] = [];
  const progress = progressLine(options.context);
  const sizeText = scan.size === undefined ? '' : ` of ${scan.size}`;
  const totals = await submitInChunks(
    withNeeds(blamingTheScan(scan.specs, spec, preview), options),
    options.dryRun ? countOnly : options.submit,
    {
      scan: scan.name,
      ...(options.rerun ? { rerun: true } : {}),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(options.reduce === undefined ? {} : { reduce: options.reduce }),
      onProgress: ({ submitted }) =>
        progress.update(`submitting '${scan.name}': ${submitted}${sizeText} tasks`),
    },
  );
  progress.done();
  const { created, existing, requeued, submitted } = totals;
  return { scan: scan.name, task: scan.task, total: submitted, created, existing, requeued, preview };
}

/** The tasks, with the command line's `--resources` and `--needs` where a task gives none. */
async function* withNeeds(
  specs: AsyncIterable<TaskSpec>,
  { resources, needs }: Pick<SubmitOptions, 'resources' | 'needs'>,
): AsyncGenerator<TaskSpec> {
  if (resources === undefined && needs === undefined) return yield* specs;
  for await (const spec of specs) {
    yield {
      ...spec,
      ...(spec.resources === undefined && resources !== undefined ? { resources } : {}),
      ...(spec.needs === undefined && needs !== undefined ? { needs } : {}),
    };
  }
}

/**
 * The scan's tasks, keeping the first few for a preview. Only the scan's own code is blamed on the
 * scan: an error met while iterating it is the user's to fix, a refused submit keeps its own error.
 */
async function* blamingTheScan(
  source: LoadedScan['specs'],
  spec: string,
  preview: Params[],
): AsyncGenerator<TaskSpec> {
  const specs: Iterator<TaskSpec> | AsyncIterator<TaskSpec> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  for (;;) {
    const next = await Promise.resolve()
      .then(() => specs.next())
      .catch((error: unknown) => {
        throw scanError(spec, error);
      });
    if (next.done) return;
    if (preview.length < PREVIEW) preview.push(next.value.params);
    yield next.value;
  }
}

/**
 * An error thrown by the user's scan function (or met calling it) is the user's to fix, not a bug
 * of bottle: it names the module and export, and what went wrong.
 */
export function scanError(spec: string, error: unknown): unknown {
  if (isBottleError(error)) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const hint = /^TypeError: Class constructor /.test(message)
    ? `${spec} is a class (a task?), not a scan: give the export of a function returning parameter sets`
    : `the scan ${spec} threw ${message}: fix the scan function`;
  return new BottleError('ERR_BAD_TASK_MODULE', hint, { cause: error });
}

/** What a dry run prints: the count, then the first parameter sets, one JSON object a line. */
export function dryRunText(outcome: SubmitOutcome): string {
  const more = outcome.total > outcome.preview.length ? '  ...\n' : '';
  return (
    `scan '${outcome.scan}': ${outcome.total} tasks (dry run: nothing submitted) of task ${outcome.task}\n` +
    outcome.preview.map((params) => `  ${JSON.stringify(params)}\n`).join('') +
    more
  );
}
