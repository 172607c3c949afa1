/**
 * Wakes waiting claims when work may have appeared (a submit, a release, a requeue, a backoff
 * ending): an in-process signal, so that no one polls. A `generation` counter closes the gap
 * between "the claim found nothing" and "the claim starts waiting".
 */
export class ClaimNotifier {
  generation = 0;
  closed = false;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  /** How many claims are waiting now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Wakes every waiting claim; returns how many were waiting. */
  notify(): number {
    this.generation++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
    return waiters.length;
  }

  /** Resolves on the next notify, after `ms`, on abort, or on close, whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Notifies at `at` (epoch ms), when a backed-off task becomes ready; keeps only the earliest. */
  wakeAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.notify();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  /** Answers every waiting claim now and any later one at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.notify();
  }
}
