/**
 * The worker's side of its command launchers (launcher-entry.ts): lean processes that start the
 * programs of command tasks, so that a start forks a small process off the worker's event loop. One
 * launcher per `slotsPerLauncher` slots, started with the runner; a launcher that dies is replaced, and
 * the programs it was running end as crashed (their groups die with it).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { entryScript } from '../runner/_entry-script.js';
import type { ExitMessage, FromLauncher, StartMessage } from './launcher-messages.js';

/** Slots one launcher serves: each start costs it a fork, so a busy worker gets several. */
export const slotsPerLauncher = 4;

export type LaunchRequest = Omit<StartMessage, 'type' | 'id'>;
export type LaunchExit = Omit<ExitMessage, 'type' | 'id'>;

/** A program being started or running: `end` settles when it ended (never rejects). */
export interface Launched {
  end: Promise<LaunchExit>;
  kill(signal: NodeJS.Signals): void;
}

class Launcher {
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
          // Its programs outlive a launcher killed -9: their groups end here.
          const pid = this.#pids.get(id);
          try {
            if (pid !== undefined) process.kill(-pid, 'SIGKILL');
          } catch {} // ESRCH: the group is already empty.
          this.#settle(id, {
            pid: pid ?? 0,
            code: null,
            signal: null,
            error: { code: 'ELAUNCHER', message: `the command launcher stopped (${why})` },
          });
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

/** The worker's launchers: each start goes to the least busy one. */
export class Launchers {
  readonly #launchers: Launcher[] = [];
  readonly #count: number;

  /** Starts the launchers at once: a Node process takes a moment to boot, the worker's first claim too. */
  constructor(slots: number) {
    this.#count = Math.max(1, Math.ceil(slots / slotsPerLauncher));
    for (let i = 0; i < this.#count; i++) this.#launchers.push(new Launcher());
  }

  start(request: LaunchRequest): Launched {
    for (let i = this.#launchers.length - 1; i >= 0; i--) {
      if (!this.#launchers[i]?.alive) this.#launchers.splice(i, 1);
    }
    let launcher = this.#launchers.reduce<Launcher | undefined>(
      (best, l) => (best === undefined || l.load < best.load ? l : best),
      undefined,
    );
    if (launcher === undefined || (launcher.load > 0 && this.#launchers.length < this.#count)) {
      launcher = new Launcher();
      this.#launchers.push(launcher);
    }
    return launcher.start(request);
  }

  async close(): Promise<void> {
    await Promise.all(this.#launchers.splice(0).map((launcher) => launcher.close()));
  }
}
