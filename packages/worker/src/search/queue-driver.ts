/**
 * The search driver inside the server process (`bottle-server -p module.search`): submits through
 * the server's own submit entry, hears finishes from the queue's report hook and reads the store,
 * with no HTTP hop and no event stream between the controller and the queue.
 *
 * It asks of the server only what `@bottle/server` exposes (`server.submit`, `router.queue`,
 * `server.store`), typed here by their shape, so that this package needs no server.
 */
import {
  type CompleteReport,
  type FailReport,
  type ListTasksResponse,
  type SubmitResponse,
  type TaskDetailResponse,
  taskKey,
} from '@bottle/protocol';
import {
  endedTasks,
  type FinishedTask,
  type FinishNotice,
  finishedOf,
  finishedStates,
  type SearchDriver,
  type UnfinishedTask,
} from './driver.js';

/** What the driver uses of a bottle server in the same process. */
export interface SearchQueue {
  /** The server's one submit entry (`BottleServer.submit`). */
  submit(request: unknown): Promise<SubmitResponse>;
  /** The queue's report hook (`router.queue.onFinished`): each batch of done and failed reports. */
  onFinished(listener: (reports: readonly (CompleteReport | FailReport)[]) => void): () => void;
  /** The store's reads (`server.store`). */
  listTasks(filter: { scan: string; limit: number; cursor?: string | undefined }): Promise<ListTasksResponse>;
  getTask(key: string): Promise<TaskDetailResponse>;
  /** Epoch ms: the finish time of a done report, which the hook does not carry (default Date.now). */
  now?: () => number;
}

export function queueDriver(queue: SearchQueue): SearchDriver {
  const now = queue.now ?? Date.now;
  let stop: (() => void) | undefined;
  // Failed reports are read one after the other, and the done ones after a read wait for it: the
  // controller hears finishes in the order the reports came.
  let reading: Promise<void> = Promise.resolve();
  let reads = 0;

  const lookup = (keys: readonly string[]) => endedTasks((key) => queue.getTask(key), keys);

  return {
    async follow(scan, onFinish) {
      stop?.();
      const tell = (notice: FinishNotice) => {
        if (reads === 0) onFinish(notice);
        else reading = reading.then(() => onFinish(notice));
      };
      stop = queue.onFinished((reports) => {
        const at = now();
        for (const report of reports) {
          // A done report is told from itself; the controller ignores the keys it does not wait for.
          if (report.outcome === 'done') {
            const { key } = report;
            tell({ key, state: 'done', result: report.result ?? null, error: null, finishedAt: at });
            continue;
          }
          // A failure may have put its task back in the queue: only a failure for good is told.
          reads++;
          reading = reading
            .then(async () => {
              const { task } = await queue.getTask(report.key);
              if (task.scan === scan && task.state === 'failed') onFinish(finishedOf(task));
            })
            // A read that failed is found again by the controller's quiet-period lookup.
            .catch(() => undefined)
            .finally(() => {
              reads--;
            });
        }
      });
    },
    async load(scan) {
      const finished: FinishedTask[] = [];
      const unfinished: UnfinishedTask[] = [];
      let cursor: string | undefined;
      do {
        const page = await queue.listTasks({ scan, limit: 10_000, cursor });
        for (const task of page.tasks) {
          if (finishedStates.has(task.state)) finished.push(finishedOf(task));
          else unfinished.push({ key: task.key, params: task.params });
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      finished.sort((a, b) => a.finishedAt - b.finishedAt);
      return { finished, unfinished };
    },
    lookup,
    async submit(scan, specs, objective) {
      const answer = await queue.submit({ tasks: specs, scan, ...(objective ? { objective } : {}) });
      if (answer.existing === 0) return [];
      // Some were known: those that ended are told from the queue, never run again.
      return lookup(specs.map((spec) => taskKey(spec.task, spec.params)));
    },
    async close() {
      stop?.();
      stop = undefined;
    },
  };
}
