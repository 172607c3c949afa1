/** Queues a scan's reduce task for its completion state, once (store/reduce.ts). */
import { taskKey } from '@bottle/protocol';
import {
  COMPLETION_SQL,
  type CompletionRow,
  completionDigest,
  type QueuedReduce,
  reduceSubmit,
} from '../store/reduce.js';
import type { OpContext } from './_context.js';
import { submit } from './submit.js';

export function queueReduce(ctx: OpContext, scan: string): QueuedReduce | null {
  const row = ctx.stmt('SELECT reduce_task FROM scans WHERE name = ?').get(scan) as
    | { reduce_task: string | null }
    | undefined;
  if (!row?.reduce_task) return null;
  const digest = completionDigest(ctx.stmt(COMPLETION_SQL).all(scan) as CompletionRow[]);
  if (digest === null) return null;
  const request = reduceSubmit(scan, row.reduce_task, digest);
  const [spec] = request.tasks;
  if (!spec) return null;
  return { key: taskKey(spec.task, spec.params), created: submit(ctx, request).created > 0 };
}

/**
 * Records that the end of `scan` in its current completion state is being told; the completion
 * digest when this caller is the first to tell it, else null (told already, or not ended).
 */
export function tellScanEnd(ctx: OpContext, scan: string): string | null {
  const digest = completionDigest(ctx.stmt(COMPLETION_SQL).all(scan) as CompletionRow[]);
  if (digest === null) return null;
  const { changes } = ctx
    .stmt('INSERT INTO scan_ends_told (scan, completion, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
    .run(scan, digest, ctx.now);
  return changes > 0 ? digest : null;
}
