/**
 * A scan's finishes per minute and its histogram of durations, for the dashboard's charts. PostgreSQL
 * keeps no trigger-maintained tables: it reads the scan's finished tasks through (scan, state, seq).
 */
import { BottleError, type ScanActivity } from '@bottle/protocol';
import { type PgContext, rows } from './_context.js';

export async function scanActivity(
  ctx: Pick<PgContext, 'db'>,
  name: string,
  now: number,
  maxMinutes = 24 * 60,
): Promise<ScanActivity> {
  if ((await rows(ctx, 'SELECT 1 FROM scans WHERE name = $1', [name])).length === 0) {
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with bottle status`);
  }
  const since = Math.floor(now / 60_000) - maxMinutes + 1;
  const minutes = await rows<ScanActivity['minutes'][number]>(
    ctx,
    `SELECT (finished_at / 60000)::bigint AS minute, count(*) FILTER (WHERE state = 'done')::int AS done,
       count(*) FILTER (WHERE state = 'failed')::int AS failed
     FROM tasks WHERE scan = $1 AND state IN ('done', 'failed') AND finished_at >= $2
     GROUP BY 1 ORDER BY 1`,
    [name, since * 60_000],
  );
  // The same buckets as SQLite's: bucket b holds durations d (ms) with 2^(b-1) <= d < 2^b, 0 below 1 ms.
  const durations = await rows<ScanActivity['durations'][number]>(
    ctx,
    `SELECT CASE WHEN finished_at - started_at < 1 THEN 0
              ELSE floor(log(2, (finished_at - started_at)::numeric))::int + 1 END AS bucket, count(*)::int AS n
     FROM tasks WHERE scan = $1 AND state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL
     GROUP BY 1 ORDER BY 1`,
    [name],
  );
  return { name, minutes, durations };
}
