/**
 * How many tasks a worker leases beyond its free slots. Short tasks need some in hand, or every
 * slot waits a claim's round trip between tasks; long tasks must not be held back from other
 * machines. `auto` decides from the run times seen: while the recent mean is under `shortTaskMs`,
 * enough to keep the slots busy for `bufferMs` (at least one per slot); otherwise none.
 */
export type PrefetchSetting = number | 'auto';

export class PrefetchPolicy {
  readonly #setting: PrefetchSetting;
  readonly #slots: number;
  readonly #shortTaskMs: number;
  readonly #bufferMs: number;
  readonly #max: number;
  /** Exponential moving average of run times; undefined until a task has finished. */
  #meanMs: number | undefined;

  constructor(
    setting: PrefetchSetting,
    slots: number,
    { shortTaskMs = 1_000, bufferMs = 50, max = 1_000 - slots } = {},
  ) {
    this.#setting = setting;
    this.#slots = slots;
    this.#shortTaskMs = shortTaskMs;
    this.#bufferMs = bufferMs;
    this.#max = Math.max(0, max);
  }

  record(durationMs: number): void {
    this.#meanMs = this.#meanMs === undefined ? durationMs : 0.8 * this.#meanMs + 0.2 * durationMs;
  }

  /** Tasks to lease beyond the slots right now. */
  get extra(): number {
    if (this.#setting !== 'auto') return this.#setting;
    // Until a run time is known, lease no more than there are slots: the first tasks may be long.
    if (this.#meanMs === undefined || this.#meanMs >= this.#shortTaskMs) return 0;
    // Run times are whole milliseconds: a mean of 0 means "well under one".
    const perSlot = Math.ceil(this.#bufferMs / Math.max(this.#meanMs, 0.1));
    return Math.min(this.#max, this.#slots * Math.max(1, perSlot));
  }
}
