/**
 * `GET /v1/scans/:name/events`: Server-Sent Events of one scan's finished tasks, for a search
 * controller that follows its results. The stream opens with `event: ready` (from then on no finish
 * is missed), then sends `event: finish` with the task (as `GET /v1/tasks/:key` has it) each time
 * a report ends one of the scan's tasks as done or failed. A task failed by an expired lease or
 * cancelled is not told here: a follower reads the tasks it waits for when the stream is quiet.
 *
 * The queue's finish hook is listened to only while a stream is open; each finished task then costs
 * one read (to learn its scan and final state).
 */
import type { TaskInfo } from '@bottle/protocol';
import { scanNameSchema } from '@bottle/protocol';
import type { Response, Router } from 'express';
import type { Queue } from '../queue/queue.js';
import { every } from '../store/clock.js';
import { parseWith } from './errors.js';

/** A comment line this often keeps an idle stream open through proxies and tunnels. */
const KEEPALIVE_MS = 25_000;

export interface ScanEventStreams {
  /** Ends every stream (the router closes). */
  close(): void;
}

export function mountScanEvents(
  router: Router,
  queue: Queue,
  onError: (error: unknown) => void,
): ScanEventStreams {
  const byScan = new Map<string, Set<Response>>();
  let stopListening: (() => void) | undefined;
  let stopKeepalive: (() => void) | undefined;
  // Reads run one after the other, so that finishes go out in the order the reports came.
  let telling: Promise<void> = Promise.resolve();

  const tell = async (keys: readonly string[]) => {
    for (const key of keys) {
      const { task } = await queue.store.getTask(key);
      if (task.state !== 'done' && task.state !== 'failed') continue;
      const streams = byScan.get(task.scan);
      if (!streams) continue;
      const frame = finishFrame(task);
      for (const res of streams) res.write(frame);
    }
  };
  const listen = () => {
    stopListening ??= queue.onFinished((keys) => {
      telling = telling.then(() => tell(keys)).catch(onError);
    });
    stopKeepalive ??= every(queue.clock, KEEPALIVE_MS, () => {
      for (const streams of byScan.values()) for (const res of streams) res.write(': keepalive\n\n');
      return undefined;
    });
  };
  const forget = (scan: string, res: Response) => {
    const streams = byScan.get(scan);
    streams?.delete(res);
    if (streams?.size === 0) byScan.delete(scan);
    if (byScan.size > 0) return;
    stopListening?.();
    stopKeepalive?.();
    stopListening = stopKeepalive = undefined;
  };

  router.get('/v1/scans/:name/events', (req, res) => {
    const scan = parseWith(scanNameSchema, req.params['name'], 'scan') as string;
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const streams = byScan.get(scan) ?? new Set<Response>();
    byScan.set(scan, streams);
    streams.add(res);
    listen();
    req.once('close', () => forget(scan, res));
    res.write('retry: 2000\n\nevent: ready\ndata: {}\n\n');
  });

  return {
    close() {
      for (const [scan, streams] of [...byScan]) {
        for (const res of [...streams]) {
          res.end();
          forget(scan, res);
        }
      }
    },
  };
}

function finishFrame(task: TaskInfo): string {
  return `event: finish\ndata: ${JSON.stringify(task)}\n\n`;
}
