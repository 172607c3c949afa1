import type { WorkerSummary } from '@bottle/worker';
import { exitCodes } from './_exit.js';

/**
 * What `bottle-worker` says at the end, in tasks: a task retried here and then done counts once,
 * as done; failed counts the tasks that failed for good. Attempts that failed and went back to the
 * queue are named apart.
 */
export function summaryLine(summary: WorkerSummary): string {
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const retried = summary.failed - summary.failedForGood;
  const requeued = retried > 0 ? ` (${retried} failed attempt${retried === 1 ? '' : 's'} requeued)` : '';
  // Released tasks went back to the queue uncharged (a stop, the end of the worker's time).
  const released = summary.released > 0 ? `; ${summary.released} released to the queue` : '';
  return `${summary.done} done, ${summary.failedForGood} failed${requeued} in ${seconds} s${released}`;
}

/** 130 when interrupted; 1 when a task it ran failed for good; else 0. */
export function workerExitCode(summary: WorkerSummary, interrupted: boolean): number {
  if (interrupted) return exitCodes.interrupted;
  return summary.failedForGood > 0 ? exitCodes.tasksFailed : exitCodes.ok;
}
