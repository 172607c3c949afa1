/**
 * How many tasks a worker leases beyond its free slots. Short tasks need a few in hand, or every
 * slot waits a claim's round trip between tasks; long tasks must not be held back from other
 * machines. `auto` decides from the run times seen: while the recent mean is under `shortTaskMs`,
 * one extra task per slot; otherwise none.
 */
export type PrefetchSetting = number | 'auto';

export class PrefetchPolicy {
  readonly #setting: PrefetchSetting;
  readonly #slots: number;
  readonly #shortTaskMs: number;
  /** Exponential moving average of run times; undefined until a task has finished. */
  #meanMs: number | undefined;

  constructor(setting: PrefetchSetting, slots: number, shortTaskMs = 1_000) {
    this.#setting = setting;
    this.#slots = slots;
    this.#shortTaskMs = shortTaskMs;
  }

  record(durationMs: number): void {
    this.#meanMs = this.#meanMs === undefined ? durationMs : 0.8 * this.#meanMs + 0.2 * durationMs;
  }

  /** Tasks to lease beyond the slots right now. */
  get extra(): number {
    if (this.#setting !== 'auto') return this.#setting;
    // Until a run time is known, lease no more than there are slots: the first tasks may be long.
    if (this.#meanMs === undefined || this.#meanMs >= this.#shortTaskMs) return 0;
    return this.#slots;
  }
}
