/**
 * A worker's side of `--gather`: pack a finished task's output directory and stream it to the server
 * under the task's lease, retrying with backoff what may succeed next time (a corrupted or cut upload,
 * the server unreachable or failing). Each attempt packs afresh: a stream cannot be sent twice, and
 * nothing is buffered or written to disk.
 */
import type { Readable } from 'node:stream';
import { BottleError, isBottleError, type UploadResponse } from '@bottle/protocol';
import type { DoneEnd, RunEnd } from '../runner/runner.js';
import { type PackResult, packOutput } from './pack.js';

/** What uploading needs of a client (`BottleClient` has it). */
export interface UploadClient {
  uploadOutput(
    key: string,
    leaseToken: string,
    archive: Readable,
    options?: { signal?: AbortSignal },
  ): Promise<UploadResponse>;
}

export interface UploadTaskOutputOptions {
  /** Retries after a failure that may pass next time. Default 5. */
  retries?: number;
  /** First retry delay; doubles each retry up to `maxBackoffMs`. Default 200. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Stops the upload (and any wait between retries). */
  signal?: AbortSignal | undefined;
  /** Called before each retry with the error that caused it. */
  onRetry?: ((error: unknown, retry: number) => void) | undefined;
}

const uploadDefaults = { retries: 5, backoffMs: 200, maxBackoffMs: 5_000 };

/** What came of a task's upload. */
export type UploadOutcome =
  | { kind: 'uploaded'; response: UploadResponse; packed: PackResult }
  /** The server refuses this output for good (unsafe entries, too large): fail the task. */
  | { kind: 'refused'; error: BottleError }
  /** The lease is gone (expired and handed out, cancelled): the task is no longer this worker's. */
  | { kind: 'lost'; error: BottleError }
  /** Retries ran out on errors that might pass later: fail the task, retryable. */
  | { kind: 'failed'; error: BottleError };

/** True for upload errors worth another try. */
export function isRetryableUploadError(error: unknown): boolean {
  if (!isBottleError(error)) return true; // a local read error, a stream torn down
  if (
    ['ERR_UPLOAD_CHECKSUM', 'ERR_SERVER_UNREACHABLE', 'ERR_TIMEOUT', 'ERR_UNAVAILABLE'].includes(error.code)
  )
    return true;
  return error.status !== undefined && error.status >= 500;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

function asBottleError(error: unknown): BottleError {
  if (isBottleError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BottleError('ERR_UPLOAD_CHECKSUM', `the output upload failed: ${message}`, { cause: error });
}

/** Packs `outputDir` and uploads it for the task `key` under `leaseToken`; never throws. */
export async function uploadTaskOutput(
  client: UploadClient,
  task: { key: string; leaseToken: string },
  outputDir: string,
  options: UploadTaskOutputOptions = {},
): Promise<UploadOutcome> {
  const { retries, backoffMs, maxBackoffMs, signal, onRetry } = { ...uploadDefaults, ...options };
  for (let attempt = 0; ; attempt++) {
    let error: unknown;
    const packed = packOutput(outputDir);
    try {
      const request = signal ? { signal } : {};
      const response = await client.uploadOutput(task.key, task.leaseToken, packed.stream, request);
      const sent = await packed.done;
      // The server hashed what it read: a different count or digest means bytes changed on the way.
      if (response.bytes === sent.bytes && response.sha256 === sent.sha256) {
        return { kind: 'uploaded', response, packed: sent };
      }
      error = new BottleError(
        'ERR_UPLOAD_CHECKSUM',
        `the server read ${response.bytes} bytes (SHA-256 ${response.sha256}) of the ${sent.bytes}-byte output archive of task ${task.key}`,
      );
    } catch (caught) {
      packed.stream.destroy();
      error = caught;
    }
    if (signal?.aborted) return { kind: 'lost', error: asBottleError(signal.reason ?? error) };
    if (isBottleError(error, 'ERR_STALE_LEASE') || isBottleError(error, 'ERR_NOT_FOUND')) {
      return { kind: 'lost', error };
    }
    if (isBottleError(error, 'ERR_UPLOAD_REJECTED') || isBottleError(error, 'ERR_UPLOAD_TOO_LARGE')) {
      return { kind: 'refused', error };
    }
    if (!isRetryableUploadError(error) || attempt >= retries) {
      return { kind: 'failed', error: asBottleError(error) };
    }
    onRetry?.(error, attempt + 1);
    await sleep(Math.min(backoffMs * 2 ** attempt, maxBackoffMs), signal);
  }
}

/**
 * How a task that ran to its end finally ends once its upload is over: done when uploaded; failed (not
 * retryable) when refused; failed (retryable) when retries ran out; stopped when its lease is gone or
 * the worker was stopped (`takenBack`).
 */
export function endAfterUpload(
  outcome: UploadOutcome,
  end: DoneEnd,
  takenBack: 'cancelled' | 'lost' | 'released' | undefined,
): RunEnd {
  const { outputDir, startedAt, endedAt } = end;
  if (takenBack !== undefined) return { kind: 'aborted', reason: takenBack, outputDir };
  switch (outcome.kind) {
    case 'uploaded':
      return end;
    case 'lost':
      return { kind: 'aborted', reason: 'lost', outputDir };
    case 'refused':
      return {
        kind: 'failed',
        code: outcome.error.code,
        message: `the server refused the task's output: ${outcome.error.message}`,
        retryable: false,
        outputDir,
        startedAt,
        endedAt,
      };
    case 'failed':
      return {
        kind: 'failed',
        code: outcome.error.code,
        message: `the task's output could not be uploaded: ${outcome.error.message}`,
        retryable: true,
        outputDir,
        startedAt,
        endedAt,
      };
  }
}
