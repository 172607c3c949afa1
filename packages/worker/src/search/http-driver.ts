/**
 * The search driver over a bottle server: submits through `POST /v1/tasks`, follows the scan's
 * finishes over `GET /v1/scans/:name/events`, and reads the scan's tasks for the replay. When the
 * event stream breaks (the server restarts), it reconnects and reads the scan again, so that the
 * finishes it missed meanwhile are told.
 */
import { taskKey } from '@bottle/protocol';
import type { BottleClient } from '../client/client.js';
import {
  endedTasks,
  type FinishedTask,
  type FinishNotice,
  finishedOf,
  finishedStates,
  type SearchDriver,
  type UnfinishedTask,
} from './driver.js';

export interface HttpDriverOptions {
  /** Told when the event stream broke and when it follows again (for a progress line). */
  onLink?: (state: 'lost' | 'back', error?: unknown) => void;
  /** First wait before reconnecting, doubled up to 5 s (default 250 ms). */
  reconnectMs?: number;
}

export function httpDriver(client: BottleClient, options: HttpDriverOptions = {}): SearchDriver {
  const stop = new AbortController();

  const load = async (scan: string) => {
    const finished: FinishedTask[] = [];
    const unfinished: UnfinishedTask[] = [];
    for await (const task of client.iterateTasks({ scan, limit: 10_000 })) {
      if (finishedStates.has(task.state)) finished.push(finishedOf(task));
      else unfinished.push({ key: task.key, params: task.params });
    }
    finished.sort((a, b) => a.finishedAt - b.finishedAt);
    return { finished, unfinished };
  };

  const follow = async (scan: string, onFinish: (task: FinishNotice) => void) => {
    let ready: ((error?: unknown) => void) | undefined;
    const following = new Promise<void>((resolve, reject) => {
      ready = (error) => (error === undefined ? resolve() : reject(error));
    });
    const stream = async () => {
      let delay = options.reconnectMs ?? 250;
      let lost = false;
      while (!stop.signal.aborted) {
        try {
          for await (const event of client.scanEvents(scan, { signal: stop.signal })) {
            if (event.type === 'finish') onFinish(event.finish);
            else if (ready) {
              ready();
              ready = undefined;
            } else {
              // Back after a break: what ended meanwhile was not streamed.
              for (const task of (await load(scan)).finished) onFinish(task);
              if (lost) options.onLink?.('back');
              lost = false;
              delay = options.reconnectMs ?? 250;
            }
          }
        } catch (error) {
          // The first connection's failure is the caller's to see: the server is not there.
          if (ready) return ready(error);
          if (!lost) options.onLink?.('lost', error);
          lost = true;
        }
        await pause(delay, stop.signal);
        delay = Math.min(delay * 2, 5_000);
      }
    };
    void stream();
    await following;
  };

  const lookup = (keys: readonly string[]) => endedTasks((key) => client.getTask(key), keys);

  return {
    follow,
    load,
    lookup,
    async submit(scan, specs, objective) {
      const answer = await client.submit(specs, { scan, ...(objective ? { objective } : {}) });
      if (answer.existing === 0) return [];
      // Some were known: those that ended are told from the queue, never run again.
      return lookup(specs.map((spec) => taskKey(spec.task, spec.params)));
    },
    async close() {
      stop.abort();
    },
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
