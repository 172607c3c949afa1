/**
 * Queues reduce tasks as scans end, on the progress monitor's reads. A scan with a reduce task seen
 * ended for the first time (also on the first read after a restart, for a scan that ended while no server ran) asks the
 * store, whose guard keeps one reduce task per completion state however many servers ask.
 */
import { scanEnded } from '@bottle/protocol';
import type { Store } from '../store/store.js';
import type { ProgressMonitor } from './monitor.js';

export function queueReducesOnEnd(
  monitor: ProgressMonitor,
  store: Store,
  onQueued: (scan: string, key: string) => void,
  onError: (error: unknown) => void,
): () => void {
  const ended = new Map<string, boolean>();
  return monitor.subscribe((snapshot) => {
    for (const scan of snapshot.scans) {
      const now = scan.total > 0 && scanEnded(scan);
      const was = ended.get(scan.name);
      ended.set(scan.name, now);
      if (!now || was === true || scan.reduce === undefined) continue;
      store.queueReduce(scan.name).then((queued) => {
        if (queued?.created) onQueued(scan.name, queued.key);
      }, onError);
    }
  });
}
