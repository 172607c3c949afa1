/**
 * The worker's side of a Node command launcher (launcher-entry.ts), used where there is no perl
 * (launcher-perl.ts): a lean Node process that starts the programs of command tasks, so that a start
 * forks a small process off the worker's event loop. If it dies, the programs it was running end as
 * crashed (their groups die with it).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { entryScript } from '../runner/_entry-script.js';
import {
  type FromLauncher,
  type LaunchExit,
  type Launched,
  type LauncherProcess,
  type LaunchRequest,
  orphanedExit,
} from './launcher-messages.js';

export class NodeLauncher implements LauncherProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (exit: LaunchExit) => void>();
  /** The pids of the programs started and not yet ended, by start id. */
  readonly #pids = new Map<number, number>();
  #nextId = 1;
  #exited = false;
  readonly #closed: Promise<void>;

  constructor() {
    const entry = entryScript('launcher-entry');
    this.#child = fork(entry.script, [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // Its own process group: a terminal's Ctrl-C reaches the worker, which decides what ends.
      detached: true,
    });
    this.#child.on('message', (message: FromLauncher) => {
      if (message.type === 'started') {
        this.#pids.set(message.id, message.pid);
        return;
      }
      const { type: _, id, ...exit } = message;
      this.#settle(id, exit);
    });
    this.#closed = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exited = true;
        const why = signal === null ? `exit code ${code}` : signal;
        for (const id of [...this.#waiting.keys()]) {
          this.#settle(id, orphanedExit(this.#pids.get(id), why));
        }
        resolve();
      });
    });
    this.#idle();
  }

  get alive(): boolean {
    return !this.#exited;
  }

  get load(): number {
    return this.#waiting.size;
  }

  start(request: LaunchRequest): Launched {
    const id = this.#nextId++;
    const end = new Promise<LaunchExit>((resolve) => this.#waiting.set(id, resolve));
    this.#child.ref();
    this.#child.channel?.ref();
    this.#child.send({ type: 'start', id, ...request });
    return {
      end,
      kill: (signal) => {
        if (this.#waiting.has(id) && this.#child.connected) this.#child.send({ type: 'kill', id, signal });
      },
    };
  }

  /** Closes the channel: the launcher ends, and with it any program still running. */
  close(): Promise<void> {
    // Held by its exit until it has gone, so that a worker awaiting it does not run out of events.
    if (!this.#exited) this.#child.ref();
    if (this.#child.connected) this.#child.disconnect();
    return this.#closed;
  }

  #settle(id: number, exit: LaunchExit): void {
    const resolve = this.#waiting.get(id);
    if (resolve === undefined) return;
    this.#waiting.delete(id);
    this.#pids.delete(id);
    resolve(exit);
    this.#idle();
  }

  /** An idle launcher does not keep the worker's process alive. */
  #idle(): void {
    if (this.#waiting.size > 0) return;
    this.#child.channel?.unref();
    this.#child.unref();
  }
}
