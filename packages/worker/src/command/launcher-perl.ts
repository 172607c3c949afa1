/**
 * The worker's side of a Perl command launcher (launcher-perl-script.ts): a 7-MB process whose fork
 * costs a fraction of a Node launcher's (60–70 MB), used when the machine has a perl. Same promises
 * as the Node launcher (launcher-node.ts): a process group per program, its output in its logs, its
 * group killed when it ends, on the worker's word, or when the worker goes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, join } from 'node:path';
import { attemptHeader } from '../runner/_task-log.js';
import {
  type LaunchExit,
  type Launched,
  type LauncherProcess,
  type LaunchRequest,
  orphanedExit,
} from './launcher-messages.js';
import { perlLauncherScript } from './launcher-perl-script.js';

const signalNames = new Map(Object.entries(os.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const errnoNames = new Map(Object.entries(os.errno).map(([name, n]) => [n, name]));

let found: string | false | undefined;

/** A perl on PATH that runs the launcher's modules (POSIX), or false; looked up once per process. */
export function findPerl(): string | false {
  if (found !== undefined) return found;
  found = false;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const perl = join(dir || '.', 'perl');
    try {
      accessSync(perl, constants.X_OK);
    } catch {
      continue;
    }
    const check = spawnSync(perl, ['-MPOSIX', '-e', 'print "ok"'], { encoding: 'utf8', timeout: 10_000 });
    if (check.stdout === 'ok') found = perl;
    break;
  }
  return found;
}

interface Waiting {
  resolve(exit: LaunchExit): void;
  file: string;
  cwd: string;
}

export class PerlLauncher implements LauncherProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, Waiting>();
  /** The pids of the programs started and not yet ended, by start id. */
  readonly #pids = new Map<number, number>();
  #nextId = 1;
  #exited = false;
  #partial = '';
  readonly #closed: Promise<void>;

  constructor(perl: string) {
    this.#child = spawn(perl, ['-e', perlLauncherScript], {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own process group: a terminal's Ctrl-C reaches the worker, which decides what ends.
      detached: true,
    });
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#read(chunk));
    // A write after the launcher died: its exit settles what it ran.
    this.#child.stdin?.on('error', () => {});
    this.#closed = new Promise((resolve) => {
      const gone = (why: string) => {
        if (this.#exited) return;
        this.#exited = true;
        for (const id of [...this.#waiting.keys()]) {
          this.#settle(id, orphanedExit(this.#pids.get(id), why));
        }
        resolve();
      };
      this.#child.once('exit', (code, signal) => gone(signal === null ? `exit code ${code}` : signal));
      this.#child.once('error', (error) => gone(error.message));
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
    const end = new Promise<LaunchExit>((resolve) =>
      this.#waiting.set(id, { resolve, file: request.file, cwd: request.cwd }),
    );
    const env = Object.entries(request.env).map(([name, value]) => `${name}=${value}`);
    const header = `${attemptHeader(request.attempt)}(worker ${request.workerId}, ${new Date().toISOString()}) ---\n`;
    const fields = [
      ...['S', String(id), request.file, request.cwd, request.stdout, request.stderr, header],
      ...[String(request.args.length), ...request.args, String(env.length), ...env],
    ];
    if (request.file === '' || fields.some((field) => field.includes('\0'))) {
      // Refused before any process exists, as Node's spawn refuses them.
      this.#settle(id, {
        pid: 0,
        code: null,
        signal: null,
        refused: 'the program, its arguments and its environment must be strings without null bytes',
      });
      return { end, kill: () => {} };
    }
    this.#child.ref();
    (this.#child.stdout as { ref?: () => void } | null)?.ref?.();
    this.#child.stdin?.write(`${fields.join('\0')}\0`);
    return {
      end,
      kill: (signal) => {
        if (this.#waiting.has(id) && !this.#exited)
          this.#child.stdin?.write(`K\0${id}\0${os.signals[signal]}\0`);
      },
    };
  }

  /** Closes the launcher's stdin: it ends, and with it any program still running. */
  close(): Promise<void> {
    // Held by its exit until it has gone, so that a worker awaiting it does not run out of events.
    if (!this.#exited) this.#child.ref();
    this.#child.stdin?.end();
    return this.#closed;
  }

  #read(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const [type, idText, a, b, c] = line.split(' ');
      const id = Number(idText);
      if (type === 'P') this.#pids.set(id, Number(a));
      else if (type === 'X') {
        this.#settle(id, {
          pid: Number(a),
          code: b === '-' ? null : Number(b),
          signal: c === '-' ? null : (signalNames.get(Number(c)) ?? null),
        });
      } else if (type === 'E') this.#failed(id, a as string, Number(b));
    }
  }

  /** A program that did not start, as the Node launcher says it: exec and fork errors, or refused. */
  #failed(id: number, step: string, errno: number): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    const code = errnoNames.get(errno) ?? `errno ${errno}`;
    const exit = { pid: 0, code: null, signal: null };
    if (step === 'x' || step === 'f')
      this.#settle(id, { ...exit, error: { code, message: `spawn ${waiting.file} ${code}` } });
    else if (step === 'c') this.#settle(id, { ...exit, refused: `cannot enter ${waiting.cwd}: ${code}` });
    else this.#settle(id, { ...exit, refused: `cannot open its stdout.log or stderr.log: ${code}` });
  }

  #settle(id: number, exit: LaunchExit): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    this.#waiting.delete(id);
    this.#pids.delete(id);
    waiting.resolve(exit);
    this.#idle();
  }

  /** An idle launcher does not keep the worker's process alive. */
  #idle(): void {
    if (this.#waiting.size > 0) return;
    (this.#child.stdout as { unref?: () => void } | null)?.unref?.();
    this.#child.unref();
  }
}
