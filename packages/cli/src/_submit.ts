import {
  BottleError,
  isBottleError,
  type SubmitRequest,
  type SubmitResponse,
  type TaskSpec,
} from '@bottle/protocol';
import { loadScan } from '@bottle/worker/task';
import type { CliContext } from './_context.js';
import { progressLine } from './_progress.js';

const CHUNK = 5_000;

export interface SubmitOutcome extends SubmitResponse {
  scan: string;
  total: number;
}

/**
 * Loads the scan `spec` (module.export) and submits its tasks in chunks through `submit`,
 * streaming: a million-task sweep is never held in memory. With `dryRun`, only counts.
 */
export async function submitScanSpec(
  spec: string,
  options: {
    root: string;
    submit: (request: SubmitRequest) => Promise<SubmitResponse>;
    rerun?: boolean;
    dryRun?: boolean;
    context: CliContext;
  },
): Promise<SubmitOutcome> {
  const scan = await loadScan(spec, { root: options.root }).catch((error: unknown) => {
    throw scanError(spec, error);
  });
  const outcome: SubmitOutcome = { scan: scan.name, total: 0, created: 0, existing: 0, requeued: 0 };
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
    chunk.push(next.value);
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
