/**
 * The worker's one wake-up signal: its loops sleep until something changes (a slot frees, a report
 * lands, a stop is asked) or a delay passes, instead of polling.
 */
export class WakeUp {
  #wake: (() => void) | undefined;

  /** Resolves at the next `wake()`, or after `ms` when given. */
  sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const previous = this.#wake;
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        previous?.();
        done();
      };
    });
  }

  /** Wakes every sleeper. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
export function resolvable(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits for `promise`, but no longer than `ms`. */
export async function withDeadline(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
