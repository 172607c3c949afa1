/**
 * The command launcher: a lean Node process (node:child_process and node:fs, nothing else) that
 * starts command tasks for the worker. Starting a program forks the process that starts it; forked
 * from here it copies a small process, and not the worker's large one on the worker's event loop.
 * Each program gets its own process group and session (killable as a whole, deaf to a terminal's
 * signals). When the worker goes (its IPC channel closes), the programs still running go with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openTaskLog } from '../runner/_task-log.js';
import type { ExitMessage, FromLauncher, StartMessage, ToLauncher } from './launcher-messages.js';

const running = new Map<number, ChildProcess>();

function send(message: FromLauncher): void {
  process.send?.(message);
}

function group(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {} // ESRCH: the group is already empty.
}

function start(message: StartMessage): void {
  const ended = (fields: Omit<ExitMessage, 'type' | 'id'>) =>
    send({ type: 'exit', id: message.id, ...fields });
  let out: number | undefined;
  let err: number | undefined;
  let child: ChildProcess;
  try {
    out = openTaskLog(message.stdout, message.attempt, message.workerId);
    err = openTaskLog(message.stderr, message.attempt, message.workerId);
    child = spawn(message.file, message.args, {
      cwd: message.cwd,
      env: { ...process.env, ...message.env },
      stdio: ['ignore', out, err],
      detached: true,
    });
  } catch (error) {
    ended({ pid: 0, code: null, signal: null, refused: (error as Error).message });
    return;
  } finally {
    if (out !== undefined) closeSync(out);
    if (err !== undefined) closeSync(err);
  }
  running.set(message.id, child);
  if (child.pid !== undefined) send({ type: 'started', id: message.id, pid: child.pid });
  let settled = false;
  const settle = (fields: Omit<ExitMessage, 'type' | 'id' | 'pid'>) => {
    if (settled) return;
    settled = true;
    running.delete(message.id);
    // Whatever the program left behind in its group (background children) ends with it.
    group(child, 'SIGKILL');
    ended({ pid: child.pid ?? 0, ...fields });
  };
  child.once('error', (error) =>
    settle({
      code: null,
      signal: null,
      error: { code: (error as NodeJS.ErrnoException).code, message: error.message },
    }),
  );
  child.once('exit', (code, signal) => settle({ code, signal }));
}

process.on('message', (message: ToLauncher) => {
  if (message.type === 'start') start(message);
  else {
    const child = running.get(message.id);
    if (child) group(child, message.signal);
  }
});
process.on('disconnect', () => {
  for (const child of running.values()) group(child, 'SIGKILL');
  process.exit(0);
});
