/**
 * Streams a sweep of any size to a submit function in chunks, one request at a time, so that a
 * million-task sweep is never held in memory. The client's `submitAll`, `bottle post` and
 * `bottle-server -p` all submit through it. No I/O of its own: `submit` does the sending.
 */
import { MAX_SUBMIT_TASKS, type Objective, type SubmitResponse, type TaskSpec } from './schemas.js';

/** Tasks per request unless told otherwise. */
export const DEFAULT_SUBMIT_CHUNK = 5_000;

/** Options of {@link submitInChunks} (and of the client's `submitAll`). */
export interface SubmitAllOptions {
  /** Scan for tasks that name none. */
  scan?: string;
  /** Put finished tasks back in the queue. */
  rerun?: boolean;
  /** Priority of tasks that give none (higher is handed out first; default 0). */
  priority?: number;
  /** The scan's reduce task, queued each time every task of the scan has ended. */
  reduce?: string;
  /** The scan's objective (the result field its tasks are ranked by). */
  objective?: Objective;
  /** Tasks per request (default 5,000; at most `MAX_SUBMIT_TASKS`, 50,000). */
  chunkSize?: number;
  /** Called after each chunk with the running totals. */
  onProgress?: (progress: SubmitAllResult) => void;
}

/** Totals of a chunked submit. */
export interface SubmitAllResult extends SubmitResponse {
  /** Tasks sent so far. */
  submitted: number;
}

/** Sends one chunk: `BottleClient.submit`, or a server's own `submit`. */
export type SubmitChunk = (
  tasks: TaskSpec[],
  options: Pick<SubmitAllOptions, 'scan' | 'rerun' | 'priority' | 'reduce' | 'objective'>,
) => Promise<SubmitResponse>;

export async function submitInChunks(
  specs: Iterable<TaskSpec> | AsyncIterable<TaskSpec>,
  submit: SubmitChunk,
  options: SubmitAllOptions = {},
): Promise<SubmitAllResult> {
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? DEFAULT_SUBMIT_CHUNK, MAX_SUBMIT_TASKS));
  const flags = {
    ...(options.scan === undefined ? {} : { scan: options.scan }),
    ...(options.rerun === undefined ? {} : { rerun: options.rerun }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.reduce === undefined ? {} : { reduce: options.reduce }),
    ...(options.objective === undefined ? {} : { objective: options.objective }),
  };
  const totals: SubmitAllResult = { submitted: 0, created: 0, existing: 0, requeued: 0 };
  let chunk: TaskSpec[] = [];
  const flush = async () => {
    const answer = await submit(chunk, flags);
    totals.submitted += chunk.length;
    totals.created += answer.created;
    totals.existing += answer.existing;
    totals.requeued += answer.requeued;
    chunk = [];
    options.onProgress?.({ ...totals });
  };
  for await (const spec of specs) {
    chunk.push(spec);
    if (chunk.length >= chunkSize) await flush();
  }
  if (chunk.length > 0) await flush();
  return totals;
}
