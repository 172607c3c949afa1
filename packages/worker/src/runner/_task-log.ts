/**
 * Opening and reading a task's logs, with node:fs alone: the command launcher (a lean process that
 * loads nothing else) opens the logs of the programs it starts with the same code as the worker.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';

/** The last `bytes` of a file (a log), or '' when it does not exist. */
export function readTail(file: string, bytes = 4096): string {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    fd = openSync(file, 'r');
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The line that opens an attempt's part of a log that holds an earlier attempt's. */
export function attemptHeader(attempt: number): string {
  return `--- attempt ${attempt} `;
}

/**
 * Opens a task's log for appending. A log that already holds an earlier attempt's output (a retry,
 * a rerun) gets a separator line first, so that the attempts do not run together.
 */
export function openTaskLog(file: string, attempt: number, workerId: string): number {
  const fd = openSync(file, 'a');
  if (fstatSync(fd).size > 0) {
    const newline = readTail(file, 1) === '\n' ? '' : '\n';
    writeSync(
      fd,
      `${newline}${attemptHeader(attempt)}(worker ${workerId}, ${new Date().toISOString()}) ---\n`,
    );
  }
  return fd;
}
