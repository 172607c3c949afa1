/**
 * Waiting claims and the one way in for submits. A submit hands its tasks to the waiting claims in
 * its own store call (`submitAndClaim`: one transaction on SQLite); a release, a requeue or a backoff
 * ending notifies, and the notifier then serves the waiting claims itself. Either way many claims go
 * in one transaction, in arrival order: nothing stands between the submit's commit and the waiting
 * claims' answers, and 8,000 waiting workers cost a handful of transactions, not 8,000. Idle claims
 * cost a timer each.
 */
import type { ClaimedTask, ClaimRequest, SubmitRequest, SubmitResponse } from '@bottle/protocol';
import type { StoreEvents } from '../events/store-events.js';
import type { Clock } from '../store/clock.js';
import type { Store } from '../store/store.js';

/** Most tasks one transaction hands to waiting claims, so that a huge backlog does not stall the loop. */
const TASKS_PER_DRAIN = 10_000;

interface Waiter {
  request: ClaimRequest;
  /** Answers the claim (once) and forgets its timer and abort listener. */
  finish(tasks: ClaimedTask[]): void;
}

export class ClaimNotifier {
  /** Counts notifies: closes the gap between "the claim found nothing" and "the claim waits". */
  generation = 0;
  closed = false;
  /** In arrival order (a Set iterates in insertion order): the longest waiting is served first. */
  private readonly waiters = new Set<Waiter>();
  private draining = false;
  /** Counts claims that started waiting: tells a submit whether claims came after its batch was taken. */
  private arrivals = 0;
  private drainAgain = false;
  private cancelWake: (() => void) | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    /** Told of each submit, claim and give-back this notifier makes (events and metrics). */
    private readonly events?: StoreEvents | undefined,
  ) {}

  /** How many claims are waiting now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Work may have appeared: serves the waiting claims now. Returns how many were waiting. */
  notify(): number {
    this.generation++;
    const waiting = this.waiters.size;
    if (waiting > 0) this.drain();
    return waiting;
  }

  /** Stores an already validated submit and wakes the claims waiting for it. */
  async submit(request: SubmitRequest): Promise<SubmitResponse> {
    // A drain in flight (an asynchronous store) would serve the same claims: let it, and notify after.
    if (this.waiters.size === 0 || this.draining) return this.submitThenNotify(request);
    const batch = this.batch();
    const arrivals = this.arrivals;
    const looked = this.clock.now();
    this.events?.claiming(batch.map((w) => w.request));
    const { submitted, claimed } = await this.store.submitAndClaim(
      request,
      batch.map((w) => w.request),
    );
    this.events?.claimed(claimed);
    if (submitted.created + submitted.requeued === 0) {
      this.events?.submitted(request, submitted);
      return submitted;
    }
    const dry = await this.serve(batch, claimed);
    // Claims that came while the store worked, or a batch that took all it asked: serve the rest.
    if (!dry || this.arrivals !== arrivals) this.notify();
    else {
      // A claim that looked before the commit (an asynchronous store) looks again.
      this.generation++;
      await this.scheduleBackoffWake(looked);
    }
    // The claims just answered leave a few promise turns later: the event (a log line written to a
    // pipe) comes after their answers, not before.
    setImmediate(() => this.events?.submitted(request, submitted));
    return submitted;
  }

  private async submitThenNotify(request: SubmitRequest): Promise<SubmitResponse> {
    const result = await this.store.submit(request);
    const woken = result.created + result.requeued > 0 ? this.notify() : 0;
    // The claims just woken are answered a few promise turns later: the event (a log line written
    // to a pipe) comes after their answers, not before.
    if (woken > 0) setImmediate(() => this.events?.submitted(request, result));
    else this.events?.submitted(request, result);
    return result;
  }

  /**
   * Leases up to `request.max` ready tasks; when none is ready, waits up to `waitMs` for a submit to
   * serve it. Resolves empty on timeout, on abort (a client that hung up) and on close.
   */
  async claim(request: ClaimRequest, waitMs: number, signal: AbortSignal): Promise<ClaimedTask[]> {
    const deadline = this.clock.now() + waitMs;
    for (;;) {
      if (this.closed || signal.aborted) return [];
      const generation = this.generation;
      const looked = this.clock.now();
      const [tasks = []] = await this.#claim([request]);
      if (signal.aborted && tasks.length > 0) {
        await this.giveBack(request.workerId, tasks);
        return [];
      }
      // A full batch may have left work that waiting claims did not see (leases expired at claim time).
      if (tasks.length === request.max && this.waiters.size > 0) this.notify();
      if (tasks.length > 0 || this.clock.now() >= deadline) return tasks;
      await this.scheduleBackoffWake(looked);
      // Something arrived while we claimed: try again before waiting.
      if (this.generation !== generation) continue;
      return this.wait(request, deadline - this.clock.now(), signal);
    }
  }

  /** Notifies at `at` (epoch ms), when a backed-off task becomes ready; keeps only the earliest. */
  wakeAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    this.cancelWake?.();
    this.timerAt = at;
    this.cancelWake = this.clock.setTimeout(
      () => {
        this.cancelWake = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.notify();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Answers every waiting claim now, empty, and any later one at once. */
  close(): void {
    this.closed = true;
    this.cancelWake?.();
    this.cancelWake = undefined;
    for (const waiter of [...this.waiters]) waiter.finish([]);
  }

  private wait(request: ClaimRequest, ms: number, signal: AbortSignal): Promise<ClaimedTask[]> {
    if (ms <= 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        request,
        finish: (tasks) => {
          if (!this.waiters.delete(waiter)) return;
          cancelTimer();
          signal.removeEventListener('abort', stop);
          resolve(tasks);
        },
      };
      const stop = () => waiter.finish([]);
      const cancelTimer = this.clock.setTimeout(stop, ms);
      signal.addEventListener('abort', stop, { once: true });
      this.waiters.add(waiter);
      this.arrivals++;
    });
  }

  private drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    // With a synchronous store (SQLite) the claim transaction runs right here, inside notify().
    this.drainLoop()
      .catch(this.onError)
      .finally(() => {
        this.draining = false;
      });
  }

  private async drainLoop(): Promise<void> {
    do {
      this.drainAgain = false;
      const batch = this.batch();
      if (batch.length === 0) return;
      const looked = this.clock.now();
      const dry = await this.serve(batch, await this.#claim(batch.map((w) => w.request)));
      if (!dry) this.drainAgain = true;
      else await this.scheduleBackoffWake(looked);
    } while (this.drainAgain && this.waiters.size > 0 && !this.closed);
  }

  /** The longest waiting claims, up to TASKS_PER_DRAIN tasks' worth. */
  private batch(): Waiter[] {
    const batch: Waiter[] = [];
    let wanted = 0;
    for (const waiter of this.waiters) {
      if (wanted >= TASKS_PER_DRAIN) break;
      batch.push(waiter);
      wanted += waiter.request.max;
    }
    return batch;
  }

  /** Answers each claim of `batch` with its tasks; true when one got less than it asked (the queue is dry). */
  private async serve(batch: readonly Waiter[], served: readonly ClaimedTask[][]): Promise<boolean> {
    let dry = false;
    const orphans: Promise<void>[] = [];
    batch.forEach((waiter, i) => {
      const tasks = served[i] ?? [];
      if (tasks.length < waiter.request.max) dry = true;
      if (tasks.length === 0) return;
      // Timed out or hung up while an asynchronous store claimed for it: nobody will run these.
      if (!this.waiters.has(waiter)) orphans.push(this.giveBack(waiter.request.workerId, tasks));
      else waiter.finish(tasks);
    });
    await Promise.all(orphans);
    return dry;
  }

  async #claim(requests: ClaimRequest[]): Promise<ClaimedTask[][]> {
    this.events?.claiming(requests);
    const served = await this.store.claim(requests);
    this.events?.claimed(served);
    return served;
  }

  /**
   * Waiting claims are woken again when the earliest backed-off task becomes ready. "Backed off" is
   * as the claim saw it (`looked`, taken before it): a task whose backoff ended between the claim and
   * this read is still one to wake for (at once), not one that is ready and so not waited for.
   */
  private async scheduleBackoffWake(looked: number): Promise<void> {
    const readyAt = await this.store.nextReadyAt(looked);
    if (readyAt !== null) this.wakeAt(readyAt);
  }

  /** Releases leases that no client will see, without charging an attempt. */
  private async giveBack(workerId: string, tasks: ClaimedTask[]): Promise<void> {
    const reports = tasks.map((t) => ({
      outcome: 'released' as const,
      key: t.key,
      leaseToken: t.leaseToken,
    }));
    const results = await this.store.report(workerId, reports);
    this.events?.reported(workerId, reports, results);
    this.notify();
  }
}
