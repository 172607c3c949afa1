/** Streams a sweep of any size to the server in chunks, one request at a time. */
import type { SubmitResponse, TaskSpec } from '@bottle/protocol';

/** Options of `BottleClient.submitAll`. */
export interface SubmitAllOptions {
  /** Scan for tasks that name none. */
  scan?: string;
  /** Put finished tasks back in the queue. */
  rerun?: boolean;
  /** Tasks per request (default 5,000; the server takes at most 50,000). */
  chunkSize?: number;
  /** Called after each chunk with the running totals. */
  onProgress?: (progress: SubmitAllResult) => void;
}

/** Totals of a `submitAll`. */
export interface SubmitAllResult extends SubmitResponse {
  /** Tasks sent so far. */
  submitted: number;
}

interface Submitter {
  submit(tasks: TaskSpec[], options: { scan?: string; rerun?: boolean }): Promise<SubmitResponse>;
}

export async function submitInChunks(
  client: Submitter,
  specs: Iterable<TaskSpec> | AsyncIterable<TaskSpec>,
  options: SubmitAllOptions,
): Promise<SubmitAllResult> {
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? 5_000, 50_000));
  const flags = {
    ...(options.scan === undefined ? {} : { scan: options.scan }),
    ...(options.rerun === undefined ? {} : { rerun: options.rerun }),
  };
  const totals: SubmitAllResult = { submitted: 0, created: 0, existing: 0, requeued: 0 };
  let chunk: TaskSpec[] = [];
  const flush = async () => {
    const answer = await client.submit(chunk, flags);
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
