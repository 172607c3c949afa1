/**
 * Runs module tasks in warm hosts: task processes (isolation `process`) or worker threads
 * (`thread`). Slots and hosts are decoupled: `count` hosts share the pool's slots, each job going to
 * the least loaded one, so that many async tasks share a few warm processes.
 */
import { type Host, type HostHandlers, ProcessHost, ThreadHost } from './_hosts.js';
import { JobBook, type JobBookOptions } from './job-book.js';
import type { AbortReason, RunEnd, RunJob, TaskRunner } from './runner.js';

export interface HostRunnerOptions extends JobBookOptions {
  kind: 'process' | 'thread';
  /** How many hosts at most. */
  count: number;
  /** Extra Node flags for each host. */
  execArgv: string[];
  /** Output a host wrote outside any task's logs. */
  onStray(stream: 'stdout' | 'stderr', text: string): void;
}

const tailBytes = 4096;

export class HostRunner implements TaskRunner {
  readonly #hosts: Host[] = [];
  readonly #book: JobBook<Host>;
  readonly #stray = new Map<Host, string>();

  constructor(private readonly options: HostRunnerOptions) {
    this.#book = new JobBook<Host>(options, {
      ask: (tracked) => tracked.host.kill([tracked.job.id]),
      force: (tracked) => {
        // The task ignored kill(): its host goes, and the jobs it shared the host with are given back.
        this.#book.releaseNeighbours(tracked.host, tracked);
        tracked.host.stop();
      },
    });
    // Warm at once: the first task should not wait for a process to start.
    this.#hosts.push(this.#start());
  }

  /** The pids of the task processes (the worker's own pid for threads). */
  get pids(): number[] {
    return this.#hosts.filter((host) => host.usable).map((host) => host.pid);
  }

  run(job: RunJob): Promise<RunEnd> {
    const message = this.#book.message(job);
    if (!('id' in message)) return Promise.resolve(message);
    const host = this.#pick();
    const end = this.#book.add(job, host, host.pid);
    host.run(message);
    return end;
  }

  abort(id: number, reason: AbortReason): void {
    this.#book.abort(id, reason);
  }

  async close(): Promise<void> {
    const hosts = this.#hosts.splice(0);
    await Promise.all(
      hosts.map(
        (host) =>
          new Promise<void>((resolve) => {
            if (host.exited) return resolve();
            const timer = setInterval(() => {
              if (!host.exited) return;
              clearInterval(timer);
              resolve();
            }, 20);
            host.close();
          }),
      ),
    );
  }

  /** The least loaded usable host, starting a new one while fewer than `count` are idle-free. */
  #pick(): Host {
    for (let i = this.#hosts.length - 1; i >= 0; i--) {
      if (!(this.#hosts[i] as Host).usable) this.#hosts.splice(i, 1);
    }
    let best: Host | undefined;
    for (const host of this.#hosts) if (best === undefined || host.load < best.load) best = host;
    if (best === undefined || (best.load > 0 && this.#hosts.length < this.options.count)) {
      best = this.#start();
      this.#hosts.push(best);
    }
    return best;
  }

  #start(): Host {
    let host: Host | undefined;
    const handlers: HostHandlers = {
      onEvents: (events) => {
        for (const event of events) if (event.t === 'end' && host) host.load--;
        this.#book.onEvents(events);
        for (const event of events) if (event.t === 'end' && event.exiting && host) host.killed = true;
      },
      onExit: (code, signal) => {
        if (host === undefined) return;
        this.#book.onHostGone(host, code, signal, this.#stray.get(host) ?? '');
        this.#stray.delete(host);
      },
      onStray: (stream, text) => {
        if (stream === 'stderr' && host) {
          this.#stray.set(host, ((this.#stray.get(host) ?? '') + text).slice(-tailBytes));
        }
        this.options.onStray(stream, text);
      },
    };
    host =
      this.options.kind === 'process'
        ? new ProcessHost(this.options.execArgv, handlers)
        : new ThreadHost(this.options.execArgv, handlers);
    return host;
  }
}
