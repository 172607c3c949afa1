/**
 * Heartbeats every lease the worker holds in one request, on a timer in the worker process (never in
 * a task's process, so a task that hogs its CPU cannot starve them). The answer names leases the
 * server took back: cancelled by an operator, or lost to another worker. A lease whose report crossed
 * the heartbeat is answered `finished`: nothing was taken back, so nothing is said of it.
 */
import type { LeaseRef } from '@bottle/protocol';
import type { ServerList } from './client/server-list.js';

export interface HeartbeatOptions {
  workerId: string;
  host: string;
  /**
   * The leases held right now: running, waiting, and those whose report is queued or in flight (the
   * lease must outlast a report that waits through an outage); never one whose report was answered.
   */
  leases(): LeaseRef[];
  onTakenBack(key: string, reason: 'cancelled' | 'lost'): void;
  onWarn(error: unknown): void;
}

export class Heartbeats {
  #timer: NodeJS.Timeout | undefined;
  #intervalMs = 0;
  #inFlight = false;

  constructor(
    private readonly servers: ServerList,
    private readonly options: HeartbeatOptions,
  ) {}

  /** Beats every `intervalMs` (the server's `heartbeatMs`, from each claim answer). */
  every(intervalMs: number): void {
    if (this.#timer !== undefined && intervalMs === this.#intervalMs) return;
    this.#intervalMs = intervalMs;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.beat(), intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async beat(): Promise<void> {
    const leases = this.options.leases();
    // One at a time: a slow server must not pile heartbeats up.
    if (this.#inFlight || leases.length === 0) return;
    this.#inFlight = true;
    const client = this.servers.current;
    let again = false;
    try {
      const answer = await client.heartbeat({
        workerId: this.options.workerId,
        host: this.options.host,
        leases,
      });
      for (const key of answer.cancelled) this.options.onTakenBack(key, 'cancelled');
      for (const key of answer.lost) this.options.onTakenBack(key, 'lost');
      this.servers.succeeded(client);
    } catch (error) {
      // Beat again at once through the next server: the leases are valid on every server of the database.
      again = this.servers.failed(client, error);
      this.options.onWarn(error);
    } finally {
      this.#inFlight = false;
    }
    if (again) await this.beat();
  }
}
