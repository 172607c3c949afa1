/**
 * A host is a warm task process or worker thread, seen from the worker: jobs go in (batched, one
 * message per turn), events come out. Task processes get their own process group, so that a
 * terminal's Ctrl-C reaches the worker alone, and a hard stop kills the group (whatever the task
 * spawned goes with it).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Worker as Thread } from 'node:worker_threads';
import { entryScript } from './_entry-script.js';
import type { FromHost, HostEvent, JobMessage, ToHost } from './messages.js';

export interface HostHandlers {
  onEvents(events: HostEvent[]): void;
  onExit(code: number | null, signal: string | null): void;
  onStray(stream: 'stdout' | 'stderr', text: string): void;
}

export abstract class Host {
  /** Jobs given and not yet ended. */
  load = 0;
  exited = false;
  /** Set once a hard stop is under way: no job may go to a dying host. */
  killed = false;
  #queue: JobMessage[] = [];

  abstract readonly pid: number;
  protected abstract post(message: ToHost): void;
  /** Ends the host now (SIGKILL to its process group, or terminating the thread). */
  protected abstract hardKill(): void;
  /** Lets the host end by itself (its IPC channel closes). */
  abstract close(): void;

  get usable(): boolean {
    return !this.exited && !this.killed;
  }

  run(job: JobMessage): void {
    this.load++;
    this.#queue.push(job);
    // Every job dispatched in this turn goes over in one message.
    if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
  }

  kill(ids: number[]): void {
    if (!this.exited) this.post({ type: 'kill', ids });
  }

  stop(): void {
    this.killed = true;
    if (!this.exited) this.hardKill();
  }

  #flush(): void {
    const jobs = this.#queue;
    this.#queue = [];
    if (jobs.length > 0 && !this.exited) this.post({ type: 'run', jobs });
  }
}

export class ProcessHost extends Host {
  readonly process: ChildProcess;

  constructor(execArgv: string[], handlers: HostHandlers) {
    super();
    const entry = entryScript('host-entry');
    this.process = fork(entry.script, [], {
      execArgv: [...entry.execArgv, ...execArgv],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group: Ctrl-C in a terminal signals the worker's group, not the tasks'.
      detached: true,
    });
    this.process.stdout?.setEncoding('utf8').on('data', (text: string) => handlers.onStray('stdout', text));
    this.process.stderr?.setEncoding('utf8').on('data', (text: string) => handlers.onStray('stderr', text));
    this.process.on('message', (message: FromHost) => handlers.onEvents(message.events));
    this.process.on('exit', (code, signal) => {
      this.exited = true;
      handlers.onExit(code, signal);
    });
    // An IPC error (the process gone) is followed by 'exit'; keep it from becoming an uncaught error.
    this.process.on('error', () => {});
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  protected post(message: ToHost): void {
    if (!this.process.connected) return;
    this.process.send(message, (error) => {
      if (error) this.stop();
    });
  }

  protected hardKill(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.process.kill('SIGKILL');
    }
  }

  close(): void {
    if (this.exited) return;
    if (this.process.connected) this.process.disconnect();
    setTimeout(() => this.stop(), 2_000).unref();
  }
}

export class ThreadHost extends Host {
  readonly thread: Thread;
  readonly pid = process.pid;

  constructor(execArgv: string[], handlers: HostHandlers) {
    super();
    const entry = entryScript('host-entry');
    this.thread = new Thread(entry.script, {
      execArgv: [...entry.execArgv, ...execArgv],
      stdout: true,
      stderr: true,
    });
    this.thread.stdout.setEncoding('utf8').on('data', (text: string) => handlers.onStray('stdout', text));
    this.thread.stderr.setEncoding('utf8').on('data', (text: string) => handlers.onStray('stderr', text));
    this.thread.on('message', (message: FromHost) => handlers.onEvents(message.events));
    this.thread.on('exit', (code) => {
      this.exited = true;
      handlers.onExit(code, this.killed ? 'SIGKILL' : null);
    });
    this.thread.on('error', () => {});
  }

  protected post(message: ToHost): void {
    this.thread.postMessage(message);
  }

  protected hardKill(): void {
    void this.thread.terminate();
  }

  close(): void {
    if (!this.exited) void this.thread.terminate();
  }
}
