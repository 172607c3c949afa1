/**
 * The worker's side of a task's files. The task side (its process, thread, or inline context)
 * writes params.json, stdout.log, stderr.log and the task's own outputs; the worker writes
 * status.json and result.json, once, when the task has ended, and only where the task's
 * directory exists. One writer per file.
 */
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '@bottle/protocol';
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
