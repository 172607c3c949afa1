/**
 * Claims with the time a worker has left (a Slurm job's allocation, `bottle-worker --max-time`):
 * a worker is not handed a task it could not finish before it must stop. A task is expected to
 * take as long as its scan's done tasks took on average; a scan with no done task yet is handed out.
 */

/** The mean run time of one scan's done tasks. */
export interface ScanRunTime {
  scan: string;
  meanMs: number;
}

/** How long the run times read from the tasks serve claims before they are read again. */
export const RUN_TIMES_MAX_AGE_MS = 10_000;

/**
 * The run times of every scan, read at most once every {@link RUN_TIMES_MAX_AGE_MS} on the store's
 * clock: reading them walks the done tasks, which a claim must not do each time.
 */
export class RunTimeCache {
  #readAt = Number.NEGATIVE_INFINITY;
  #value: readonly ScanRunTime[] = [];

  /** The cached run times, or undefined when they are due to be read again at `now`. */
  fresh(now: number): readonly ScanRunTime[] | undefined {
    return now - this.#readAt < RUN_TIMES_MAX_AGE_MS && now >= this.#readAt ? this.#value : undefined;
  }

  store(now: number, value: readonly ScanRunTime[]): readonly ScanRunTime[] {
    this.#readAt = now;
    this.#value = value;
    return value;
  }
}

/** The scans a worker with `timeLeftMs` must not be handed tasks of: they are expected to take longer. */
export function scansTooLong(runTimes: readonly ScanRunTime[], timeLeftMs: number): string[] {
  return runTimes.filter((row) => row.meanMs > timeLeftMs).map((row) => row.scan);
}
