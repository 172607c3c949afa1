/**
 * What the worker asks of a command launcher, and what the Node launcher (launcher-entry.ts) and the
 * worker say to each other over IPC.
 */

/** Start one program in its own process group, its output appended to two log files. */
export interface StartMessage {
  type: 'start';
  id: number;
  file: string;
  args: string[];
  cwd: string;
  /** Added to the launcher's environment (the worker's, as it was when the launcher started). */
  env: Record<string, string>;
  stdout: string;
  stderr: string;
  /** For the separator line of a log that holds an earlier attempt's output. */
  attempt: number;
  workerId: string;
}

/** Signal the process group of a program started under `id`. */
export interface KillMessage {
  type: 'kill';
  id: number;
  signal: NodeJS.Signals;
}

export type ToLauncher = StartMessage | KillMessage;

/**
 * A program ended (its group is SIGKILLed then, so nothing it started outlives it), or never started:
 * `refused` when spawn threw (a NUL in an argument), `error` when the exec failed (ENOENT).
 */
export interface ExitMessage {
  type: 'exit';
  id: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: { code: string | undefined; message: string };
  refused?: string;
}

/** A program started: its pid (the worker kills its group itself if the launcher dies first). */
export interface StartedMessage {
  type: 'started';
  id: number;
  pid: number;
}

export type FromLauncher = StartedMessage | ExitMessage;

export type LaunchRequest = Omit<StartMessage, 'type' | 'id'>;
export type LaunchExit = Omit<ExitMessage, 'type' | 'id'>;

/** A program being started or running: `end` settles when it ended (never rejects). */
export interface Launched {
  end: Promise<LaunchExit>;
  kill(signal: NodeJS.Signals): void;
}

/** One launcher process, Perl or Node: starts programs until closed. */
export interface LauncherProcess {
  readonly alive: boolean;
  /** Programs started and not yet ended. */
  readonly load: number;
  start(request: LaunchRequest): Launched;
  /** Ends the launcher, and with it any program still running. */
  close(): Promise<void>;
}

/**
 * The end of a program whose launcher stopped before telling it: the program outlives a launcher
 * killed -9, so its group (when it had started) is ended here, as the launcher would have.
 */
export function orphanedExit(pid: number | undefined, why: string): LaunchExit {
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {} // ESRCH: the group is already empty.
  return {
    pid: pid ?? 0,
    code: null,
    signal: null,
    error: { code: 'ELAUNCHER', message: `the command launcher stopped (${why})` },
  };
}
