/**
 * Routes what a running task prints to its own log files. Several tasks may run at once in one host
 * (and, with isolation `none`, in the worker itself), so the log is found through the async context
 * the write happens in, not a global "current task". Writes outside any task pass through.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

/** What the capture needs of a running task: a synchronous write to its log. */
export interface LogSink {
  writeLog(stream: 'stdout' | 'stderr', chunk: string | Uint8Array): void;
}

type Write = (...args: unknown[]) => boolean;

/** Patches `process.stdout.write` and `process.stderr.write`; returns the function that undoes it. */
export function captureConsole(storage: AsyncLocalStorage<LogSink>): () => void {
  const originals = {
    stdout: process.stdout.write as Write,
    stderr: process.stderr.write as Write,
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const original = originals[stream];
    const target = process[stream];
    (target as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
      const sink = storage.getStore();
      if (sink === undefined) return original.call(target, chunk, ...rest);
      sink.writeLog(stream, typeof chunk === 'string' ? chunk : (chunk as Uint8Array));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  }
  return () => {
    process.stdout.write = originals.stdout as typeof process.stdout.write;
    process.stderr.write = originals.stderr as typeof process.stderr.write;
  };
}
