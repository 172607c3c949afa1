/**
 * Waits for a scan to end (`GET /v1/scans/:name/wait`) on the progress monitor's reads: one read a
 * second for every waiter together, whatever their number, and no timer of its own per read. A
 * snapshot that says the scan ended is confirmed by a fresh read, since it may have been read before
 * a rerun or a submit that started the scan again.
 */
import { type ScanWaitResponse, scanEnded } from '@bottle/protocol';
import type { Clock } from '../store/clock.js';
import type { Store } from '../store/store.js';
import type { ProgressMonitor } from './monitor.js';

export async function waitForScanEnd(
  parts: { store: Store; monitor: ProgressMonitor; clock: Clock },
  name: string,
  waitMs: number,
  signal: AbortSignal,
): Promise<ScanWaitResponse> {
  const { store, monitor, clock } = parts;
  // Unknown: ERR_NOT_FOUND at once, before any wait.
  const first = await store.getScan(name);
  if (scanEnded(first) || waitMs <= 0 || signal.aborted) return { scan: first, ended: scanEnded(first) };
  return new Promise<ScanWaitResponse>((resolve, reject) => {
    let settled = false;
    let confirming = false;
    const finish = (answer: Promise<ScanWaitResponse>) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      cancelTimer();
      signal.removeEventListener('abort', stop);
      answer.then(resolve, reject);
    };
    const current = () =>
      store.getScan(name).then((scan) => ({ scan, ended: scanEnded(scan) }) satisfies ScanWaitResponse);
    const stop = () => finish(current());
    const unsubscribe = monitor.subscribe((snapshot) => {
      const scan = snapshot.scans.find((s) => s.name === name);
      if (settled || confirming || !scan || !scanEnded(scan)) return;
      confirming = true;
      current().then(
        (answer) => {
          confirming = false;
          if (answer.ended) finish(Promise.resolve(answer));
        },
        (error: unknown) => finish(Promise.reject(error)),
      );
    });
    const cancelTimer = clock.setTimeout(stop, waitMs);
    signal.addEventListener('abort', stop, { once: true });
  });
}
