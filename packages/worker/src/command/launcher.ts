/**
 * The worker's command launchers: small long-lived processes that start the programs of command
 * tasks, so that a start forks a small process, off the worker's event loop, and not the worker's
 * large one on it. A Perl launcher (launcher-perl.ts, 7 MB) where the machine has perl, else a Node
 * launcher (launcher-node.ts, 60–70 MB). One per `slotsPerLauncher` slots, started with the runner; a
 * launcher that dies is replaced, and the programs it was running end as crashed.
 */
import type { Launched, LauncherProcess, LaunchRequest } from './launcher-messages.js';
import { NodeLauncher } from './launcher-node.js';
import { findPerl, PerlLauncher } from './launcher-perl.js';

export type { LaunchExit, Launched, LaunchRequest } from './launcher-messages.js';

/** Slots one launcher serves: each start costs it a fork, so a busy worker gets several. */
export const slotsPerLauncher = 4;

/** Which launcher: `auto` takes Perl when a perl on PATH runs it, else Node. */
export type LauncherKind = 'auto' | 'perl' | 'node';

/** The worker's launchers: each start goes to the least busy one. */
export class Launchers {
  readonly #launchers: LauncherProcess[] = [];
  readonly #count: number;
  readonly #create: () => LauncherProcess;

  /** Starts the launchers at once: a process takes a moment to boot, the worker's first claim too. */
  constructor(slots: number, kind: LauncherKind = 'auto') {
    const perl = kind === 'node' ? false : findPerl();
    if (kind === 'perl' && perl === false) throw new Error('no perl on PATH runs the command launcher');
    this.#create = perl === false ? () => new NodeLauncher() : () => new PerlLauncher(perl);
    this.#count = Math.max(1, Math.ceil(slots / slotsPerLauncher));
    for (let i = 0; i < this.#count; i++) this.#launchers.push(this.#create());
  }

  start(request: LaunchRequest): Launched {
    for (let i = this.#launchers.length - 1; i >= 0; i--) {
      if (!this.#launchers[i]?.alive) this.#launchers.splice(i, 1);
    }
    let launcher = this.#launchers.reduce<LauncherProcess | undefined>(
      (best, l) => (best === undefined || l.load < best.load ? l : best),
      undefined,
    );
    if (launcher === undefined || (launcher.load > 0 && this.#launchers.length < this.#count)) {
      launcher = this.#create();
      this.#launchers.push(launcher);
    }
    return launcher.start(request);
  }

  async close(): Promise<void> {
    await Promise.all(this.#launchers.splice(0).map((launcher) => launcher.close()));
  }
}
