/**
 * `GET /v1/scans/:name/events`: Server-Sent Events of one scan's finished tasks, for a search
 * controller that follows its results. The stream opens with `event: ready` (from then on no finish
 * is missed), then sends `event: finish` (ScanFinishEvent) each time a report ends one of the scan's
 * tasks as done, or failed for good. A task failed by an expired lease or cancelled is not told
 * here: a follower reads the tasks it waits for when the stream is quiet.
 *
 * Cheap on the report path: while a scan is followed, the keys of its unfinished tasks are kept
 * (read once when its first stream opens, then added from its submits), so that a done report is
 * told from the report itself, with no read. Only a failed report costs a read, to tell a failure
 * for good from one that went back to the queue.
 */
import {
  type CompleteReport,
  type FailReport,
  type ScanFinishEvent,
  type SubmitRequest,
  scanNameSchema,
  taskKey,
} from '@bottle/protocol';
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

interface Followed {
  streams: Set<Response>;
  /** Resolves once the scan's unfinished keys are read: its streams are told `ready` then. */
  loaded: Promise<void>;
}

export function mountScanEvents(
  router: Router,
  queue: Queue,
  onError: (error: unknown) => void,
): ScanEventStreams {
  const followed = new Map<string, Followed>();
  /** The unfinished tasks of the followed scans: key to scan. */
  const waiting = new Map<string, string>();
  let stops: Array<() => void> = [];
  // Failed reports are read one after the other, so that finishes go out in the order they came.
  let reading: Promise<void> = Promise.resolve();

  const frameOf = (event: ScanFinishEvent) => `event: finish\ndata: ${JSON.stringify(event)}\n\n`;
  /** Writes frames to the scan's streams: one write per stream for a batch's finishes, not one per task. */
  const send = (scan: string, frames: string) => {
    for (const res of followed.get(scan)?.streams ?? []) res.write(frames);
  };
  /** Failed reports being read: a finish after one waits its turn, so that the order stays the reports'. */
  let reads = 0;
  const inTurn = (tell: () => Promise<void> | void) => {
    if (reads === 0) {
      void tell();
      return;
    }
    reading = reading.then(tell).catch(onError);
  };
  const onFinished = (reports: readonly (CompleteReport | FailReport)[]) => {
    const now = queue.clock.now();
    /** The done finishes met since the last failed one, as frames by scan. */
    let pending = new Map<string, string>();
    const sendPending = () => {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      inTurn(() => {
        for (const [scan, frames] of batch) send(scan, frames);
      });
    };
    for (const report of reports) {
      const scan = waiting.get(report.key);
      if (scan === undefined) continue;
      if (report.outcome === 'done') {
        waiting.delete(report.key);
        const frame = frameOf({
          key: report.key,
          state: 'done',
          result: report.result ?? null,
          error: null,
          finishedAt: now,
        });
        pending.set(scan, (pending.get(scan) ?? '') + frame);
        continue;
      }
      // A failure is read before it is told: the finishes before it go out first.
      sendPending();
      reads++;
      reading = reading
        .then(async () => {
          const { task } = await queue.store.getTask(report.key);
          if (task.state !== 'failed' || waiting.get(report.key) !== scan) return;
          waiting.delete(report.key);
          send(
            scan,
            frameOf({
              key: task.key,
              state: 'failed',
              result: null,
              error: task.error,
              finishedAt: task.finishedAt ?? now,
            }),
          );
        })
        .catch(onError)
        .finally(() => {
          reads--;
        });
    }
    sendPending();
  };
  const onSubmitted = (request: SubmitRequest) => {
    for (const spec of request.tasks) {
      const scan = spec.scan ?? request.scan ?? 'default';
      if (followed.has(scan)) waiting.set(taskKey(spec.task, spec.params), scan);
    }
  };
  const readUnfinished = async (scan: string) => {
    for (const state of ['queued', 'running'] as const) {
      let cursor: string | undefined;
      do {
        const page = await queue.store.listTasks({ scan, state, limit: 10_000, cursor });
        for (const task of page.tasks) waiting.set(task.key, scan);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  };
  const follow = (scan: string): Followed => {
    const known = followed.get(scan);
    if (known) return known;
    if (followed.size === 0) {
      stops = [
        queue.onFinished(onFinished),
        queue.onSubmitted(onSubmitted),
        every(queue.clock, KEEPALIVE_MS, () => {
          for (const { streams } of followed.values())
            for (const res of streams) res.write(': keepalive\n\n');
          return undefined;
        }),
      ];
    }
    // Registered before the read, so that a submit meanwhile is caught by onSubmitted.
    const entry: Followed = { streams: new Set(), loaded: Promise.resolve() };
    followed.set(scan, entry);
    entry.loaded = readUnfinished(scan);
    return entry;
  };
  const forget = (scan: string, res: Response) => {
    const entry = followed.get(scan);
    entry?.streams.delete(res);
    if (!entry || entry.streams.size > 0) return;
    followed.delete(scan);
    for (const [key, of] of waiting) if (of === scan) waiting.delete(key);
    if (followed.size > 0) return;
    for (const stop of stops) stop();
    stops = [];
  };

  router.get('/v1/scans/:name/events', async (req, res) => {
    const scan = parseWith(scanNameSchema, req.params['name'], 'scan') as string;
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const entry = follow(scan);
    entry.streams.add(res);
    req.once('close', () => forget(scan, res));
    try {
      await entry.loaded;
    } catch (error) {
      // The stream is open already: no error answer can go out; the follower reconnects.
      onError(error);
      forget(scan, res);
      res.end();
      return;
    }
    res.write('retry: 2000\n\nevent: ready\ndata: {}\n\n');
  });

  return {
    close() {
      for (const [scan, { streams }] of [...followed]) {
        for (const res of [...streams]) {
          res.end();
          forget(scan, res);
        }
      }
    },
  };
}
