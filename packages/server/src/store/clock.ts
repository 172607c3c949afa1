/**
 * The time a queue runs on: lease expiries, retry backoffs, long-poll deadlines and the progress
 * monitor all read it, so that a test can set it instead of waiting for it.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Calls `fn` once `ms` have passed on this clock; returns the function that cancels it. The timer
   * never keeps the process alive.
   */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** The machine's clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * Calls `fn` every `ms` on `clock` until the returned function is called. Runs never overlap: a tick
 * that comes while `fn` still runs is kept, and `fn` runs once more as soon as it ends, so no tick is
 * lost to a slow run (nor to a clock moved ahead by many intervals at once).
 */
export function every(clock: Clock, ms: number, fn: () => Promise<unknown> | undefined): () => void {
  let stopped = false;
  let running = false;
  let again = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    const done = () => {
      running = false;
      if (again) run();
    };
    const pending = fn();
    if (pending) void pending.then(done, done);
    else done();
  };
  let cancel = clock.setTimeout(function tick() {
    cancel = clock.setTimeout(tick, ms);
    run();
  }, ms);
  return () => {
    stopped = true;
    cancel();
  };
}

/** Checks an option that must be a Clock, naming it in the TypeError. */
export function checkClock(clock: unknown, who: string): Clock {
  const given = clock as Partial<Clock> | null | undefined;
  if (typeof given?.now !== 'function' || typeof given.setTimeout !== 'function') {
    throw new TypeError(`${who}: option 'clock' must have now() and setTimeout(fn, ms) functions`);
  }
  return given as Clock;
}
