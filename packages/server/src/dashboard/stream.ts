/**
 * `GET /v1/events`: Server-Sent Events for dashboards. Each snapshot of the shared progress monitor
 * is serialized once and written to every open stream: one read per second whatever the number of
 * dashboards, and one write per dashboard.
 */
import type { Response, Router } from 'express';
import type { ProgressMonitor, ProgressSnapshot } from '../queue/monitor.js';

export interface EventStreams {
  readonly open: number;
  /** Ends every stream (the router closes). */
  close(): void;
}

export function mountEventStream(router: Router, monitor: ProgressMonitor): EventStreams {
  const streams = new Set<Response>();
  let last: { snapshot: ProgressSnapshot; frame: string } | undefined;
  const frame = (snapshot: ProgressSnapshot) => {
    if (last?.snapshot !== snapshot)
      last = { snapshot, frame: `event: progress\ndata: ${JSON.stringify(snapshot)}\n\n` };
    return last.frame;
  };
  let unsubscribe: (() => void) | undefined;
  const broadcast = (snapshot: ProgressSnapshot) => {
    const text = frame(snapshot);
    for (const res of streams) res.write(text);
  };

  router.get('/v1/events', async (req, res) => {
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    streams.add(res);
    unsubscribe ??= monitor.subscribe(broadcast);
    req.once('close', () => {
      streams.delete(res);
      if (streams.size === 0) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
    });
    res.write(frame(await monitor.current()));
  });

  return {
    get open() {
      return streams.size;
    },
    close() {
      for (const res of streams) res.end();
      streams.clear();
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
