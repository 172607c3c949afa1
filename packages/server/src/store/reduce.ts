/**
 * Reduce: a scan may name a reduce task (`SubmitRequest.reduce`), queued once each time every task
 * of the scan has ended. The guard is the task key: the reduce task's parameters name the scan and a
 * digest of its completion state (tasks by state, and attempts so far), so that two servers, or one
 * server before and after a restart, that see the same end insert the same key, which the queue keeps
 * once. A rerun that ends again adds attempts: a new state, a new reduce task.
 */
import { hash } from 'node:crypto';
import { reduceScanOf, type SubmitRequest, type TaskState } from '@bottle/protocol';

/** One state of a scan's tasks, with their count and the attempts they started. */
export interface CompletionRow {
  state: TaskState;
  n: number | string;
  attempts: number | string | null;
}

/** The digest of a scan's completion state; null while a task is queued or running (or none exists). */
export function completionDigest(rows: readonly CompletionRow[]): string | null {
  const byState: Record<string, [number, number]> = {};
  for (const row of rows) {
    if ((row.state === 'queued' || row.state === 'running') && Number(row.n) > 0) return null;
    byState[row.state] = [Number(row.n), Number(row.attempts ?? 0)];
  }
  if (Object.keys(byState).length === 0) return null;
  const text = JSON.stringify(
    Object.keys(byState)
      .sort()
      .map((state) => [state, ...byState[state]!]),
  );
  return hash('sha256', text, 'hex').slice(0, 32);
}

/** The submit that queues the reduce task of `scan` for the completion state `digest`. */
export function reduceSubmit(scan: string, reduceTask: string, digest: string): SubmitRequest {
  return { scan: reduceScanOf(scan), tasks: [{ task: reduceTask, params: { scan, completion: digest } }] };
}

/** What `Store.queueReduce` did. */
export interface QueuedReduce {
  /** The reduce task's key (for this completion state). */
  key: string;
  /** False when this state's reduce task was already queued (by this server or another). */
  created: boolean;
}

/** The SQL both stores run to read a scan's completion state (`?` placeholders). */
export const COMPLETION_SQL =
  'SELECT state, count(*) AS n, sum(attempt_count) AS attempts FROM tasks WHERE scan = ? GROUP BY state';
