import {
  BottleError,
  isBottleError,
  type Params,
  type SubmitRequest,
  type SubmitResponse,
  type TaskSpec,
} from '@bottle/protocol';
import { type LoadedScan, loadScan } from '@bottle/worker/task';
import type { CliContext } from './_context.js';
import { progressLine } from './_progress.js';
import { isSweepFile, loadSweepFile } from './_sweep.js';

const CHUNK = 5_000;
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
  submit: (request: SubmitRequest) => Promise<SubmitResponse>;
  rerun?: boolean;
  dryRun?: boolean;
  context: CliContext;
}

/** Loads `spec`, a module's scan (module.export) or a sweep file (.yaml/.yml/.json), and submits it. */
export async function submitScanSpec(spec: string, options: SubmitOptions): Promise<SubmitOutcome> {
  const scan = isSweepFile(spec)
    ? loadSweepFile(spec, options.root)
    : await loadScan(spec, { root: options.root }).catch((error: unknown) => {
        throw scanError(spec, error);
      });
  return submitScan(scan, options, spec);
}

/**
 * Submits a loaded scan's tasks in chunks through `submit`, streaming: a million-task sweep is never
 * held in memory. With `dryRun`, only counts.
 */
export async function submitScan(
  scan: LoadedScan,
  options: SubmitOptions,
  spec = scan.name,
): Promise<SubmitOutcome> {
  const outcome: SubmitOutcome = {
    scan: scan.name,
    task: scan.task,
    total: 0,
    created: 0,
    existing: 0,
    requeued: 0,
    preview: [],
  };
  const progress = progressLine(options.context);
  const sizeText = scan.size === undefined ? '' : ` of ${scan.size}`;
  let chunk: TaskSpec[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    if (!options.dryRun) {
      const answer = await options.submit({
        tasks: chunk,
        scan: scan.name,
        ...(options.rerun ? { rerun: true } : {}),
      });
      outcome.created += answer.created;
      outcome.existing += answer.existing;
      outcome.requeued += answer.requeued;
    }
    chunk = [];
    progress.update(`submitting '${scan.name}': ${outcome.total}${sizeText} tasks`);
  };
  const source = scan.specs;
  const specs: Iterator<TaskSpec> | AsyncIterator<TaskSpec> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  for (;;) {
    // Only the scan's own code is blamed on the scan: a refused submit keeps its own error.
    const next = await Promise.resolve()
      .then(() => specs.next())
      .catch((error: unknown) => {
        throw scanError(spec, error);
      });
    if (next.done) break;
    const taskSpec = next.value;
    chunk.push(taskSpec);
    if (outcome.preview.length < PREVIEW) outcome.preview.push(taskSpec.params);
    outcome.total += 1;
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  progress.done();
  return outcome;
}

/**
 * An error thrown by the user's scan function (or met calling it) is the user's to fix, not a bug
 * of bottle: it names the module and export, and what went wrong.
 */
function scanError(spec: string, error: unknown): unknown {
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
