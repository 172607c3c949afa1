/**
 * The worker's side of a task's files. The task side (its process, thread, or inline context)
 * writes params.json, stdout.log, stderr.log and the task's own outputs; the worker writes
 * status.json and result.json, once, when the task has ended, and only where the task's
 * directory exists. One writer per file.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type JsonValue, LOG_TAIL_MAX, type LogTails } from '@bottle/protocol';
import type { TaskStatusFile } from './messages.js';

/** Writes status.json. */
export function writeStatusFile(outputDir: string, status: TaskStatusFile): void {
  writeFileSync(join(outputDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
}

/** Writes result.json unless the task wrote its own. */
export function writeResultFile(outputDir: string, result: JsonValue): void {
  try {
    writeFileSync(join(outputDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

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
function attemptHeader(attempt: number): string {
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

/**
 * The tails of this attempt's stdout.log and stderr.log for its report: the last LOG_TAIL_MAX
 * bytes, from this attempt's separator line on. A stream with nothing written is left out.
 */
export function attemptLogTails(outputDir: string, attempt: number): LogTails | undefined {
  const tails: LogTails = {};
  for (const stream of ['stdout', 'stderr'] as const) {
    let tail = readTail(join(outputDir, `${stream}.log`), LOG_TAIL_MAX);
    const header = tail.lastIndexOf(attemptHeader(attempt));
    if (header >= 0) tail = tail.slice(tail.indexOf('\n', header) + 1);
    // Cut mid-character at the start: drop the replacement character that decoding left.
    if (tail.startsWith('\uFFFD')) tail = tail.slice(1);
    if (tail !== '') tails[stream] = tail.slice(-LOG_TAIL_MAX);
  }
  return tails.stdout === undefined && tails.stderr === undefined ? undefined : tails;
}
