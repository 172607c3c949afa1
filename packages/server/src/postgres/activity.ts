/** A scan's finishes per minute and its histogram of durations, from the tables triggers keep (migration 3, summed over shards). */
import type { ScanActivity } from '@bottle/protocol';
import { scanNotFound } from '../store/messages.js';
import { type PgContext, rows } from './_context.js';

export async function scanActivity(
  ctx: Pick<PgContext, 'db'>,
  name: string,
  maxMinutes = 24 * 60,
): Promise<ScanActivity> {
  if ((await rows(ctx, 'SELECT 1 FROM scans WHERE name = $1', [name])).length === 0) throw scanNotFound(name);
  const minutes = await rows<ScanActivity['minutes'][number]>(
    ctx,
    `SELECT minute, done::int AS done, failed::int AS failed FROM (
       SELECT minute, sum(done) AS done, sum(failed) AS failed FROM scan_minutes WHERE scan = $1
       GROUP BY minute ORDER BY minute DESC LIMIT $2
     ) m ORDER BY minute`,
    [name, maxMinutes],
  );
  const durations = await rows<ScanActivity['durations'][number]>(
    ctx,
    'SELECT bucket, sum(n)::int AS n FROM scan_durations WHERE scan = $1 GROUP BY bucket ORDER BY bucket',
    [name],
  );
  return { name, minutes, durations };
}
