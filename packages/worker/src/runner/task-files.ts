/**
 * The worker's side of a task's files. The task side (its process, thread, or inline context)
 * writes params.json, stdout.log, stderr.log and the task's own outputs; the worker writes
 * status.json and result.json, once, when the task has ended, and only where the task's
 * directory exists. One writer per file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JsonValue, LOG_TAIL_MAX, type LogTails } from '@bottle/protocol';
import { attemptHeader, readTail } from './_task-log.js';
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
