import type { SubmitRequest, SubmitResponse, TaskSpec } from '@bottle/protocol';
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
  const scan = await loadScan(spec, { root: options.root });
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
  for await (const taskSpec of scan.specs) {
    chunk.push(taskSpec);
    outcome.total += 1;
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  progress.done();
  return outcome;
}
