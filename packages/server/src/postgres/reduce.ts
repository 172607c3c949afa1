/**
 * Queues a scan's reduce task for its completion state, once (store/reduce.ts): servers that see
 * the same end insert the same task key, and the queue keeps one.
 */
import { taskKey } from '@bottle/protocol';
import {
  COMPLETION_SQL,
  type CompletionRow,
  completionDigest,
  type QueuedReduce,
  reduceSubmit,
} from '../store/reduce.js';
import { prepareSubmit } from '../store/submit.js';
import { type PgContext, rows } from './_context.js';
import { submitPrepared } from './submit.js';

export async function queueReduce(ctx: PgContext, scan: string): Promise<QueuedReduce | null> {
  const [row] = await rows<{ reduce_task: string | null }>(
    ctx,
    'SELECT reduce_task FROM scans WHERE name = $1',
    [scan],
  );
  if (!row?.reduce_task) return null;
  const digest = completionDigest(await rows<CompletionRow>(ctx, COMPLETION_SQL.replace('?', '$1'), [scan]));
  if (digest === null) return null;
  const request = reduceSubmit(scan, row.reduce_task, digest);
  const [spec] = request.tasks;
  if (!spec) return null;
  const { created } = await submitPrepared(ctx, prepareSubmit(request, ctx.policy.maxAttempts), false);
  return { key: taskKey(spec.task, spec.params), created: created > 0 };
}

/** As SQLite's: the completion digest when this caller is the first to tell the scan's end, else null. */
export async function tellScanEnd(ctx: PgContext, scan: string): Promise<string | null> {
  const digest = completionDigest(await rows<CompletionRow>(ctx, COMPLETION_SQL.replace('?', '$1'), [scan]));
  if (digest === null) return null;
  const result = await ctx.db.query(
    'INSERT INTO scan_ends_told (scan, completion, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [scan, digest, ctx.now],
  );
  return (result.rowCount ?? 0) > 0 ? digest : null;
}
