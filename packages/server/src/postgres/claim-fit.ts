/**
 * The claim of a worker that tasks with needs may fit (store/fit.ts), in one transaction: one
 * statement locks the head of each index range that can serve it (tasks that ask nothing, through
 * tasks_queue, and each fitting shape, through tasks_shaped, at most what could be leased from it),
 * merged in queue order; the fit rule picks the rows that fit together; a second statement leases
 * them. Rows locked and not picked are free again at commit. The cost grows with the shapes that
 * fit, not with the queue.
 */
import type { Declared } from '../store/declared.js';
import { type Offer, takeFitting } from '../store/fit.js';
import { QUEUE_ORDER } from '../store/queue-order.js';
import { type PgContext, rows } from './_context.js';
import { type LeasedRow, leaseReady, READY, readyWhere } from './_lease-sql.js';

// $1 now, $2 max, $3 worker, $4 exclude, $5 claim id, $6 too long (see readyWhere), $7 the fitting
// shapes, $8 how many of each could be leased.
const READY_HERE = readyWhere('$1', '$3', '$4', '$5', '$6');
const CANDIDATES = `
WITH plain AS (
  SELECT seq, shape, priority, not_before FROM tasks WHERE ${READY_HERE} AND shape IS NULL
  ORDER BY ${QUEUE_ORDER} LIMIT $2 FOR UPDATE SKIP LOCKED
), shaped AS (
  SELECT c.seq, c.shape, c.priority, c.not_before
  FROM unnest($7::text[], $8::int[]) AS f(shape, most) CROSS JOIN LATERAL (
    SELECT seq, shape, priority, not_before FROM tasks
    WHERE ${READY_HERE} AND shape IS NOT NULL AND shape = f.shape
    ORDER BY ${QUEUE_ORDER} LIMIT f.most FOR UPDATE SKIP LOCKED
  ) c
)
SELECT seq, shape FROM (SELECT * FROM plain UNION ALL SELECT * FROM shaped) candidates ORDER BY ${QUEUE_ORDER}`;

// $2 the rows picked (locked by CANDIDATES in this transaction); READY checked again for its placeholders.
const LEASE_PICKED = leaseReady(`SELECT seq FROM tasks WHERE seq = ANY($2::bigint[]) AND ${READY}`);

export interface FittingClaim {
  max: number;
  workerId: string;
  host: string;
  state: 'running' | 'delivered';
  expiresAt: number | null;
  exclude: readonly string[];
  claimId: string | null;
  tooLong: readonly string[];
}

/** Leases what fits the offer, in queue order; `ctx` holds a transaction. */
export async function leaseFitting(
  ctx: PgContext,
  fitting: readonly { shape: string; most: number }[],
  offer: Offer,
  claim: FittingClaim,
): Promise<LeasedRow[]> {
  const { max, workerId, host, state, expiresAt, exclude, claimId, tooLong } = claim;
  const common: unknown[] = [ctx.now, max, workerId, host, state, expiresAt, exclude, claimId, tooLong];
  const candidates = await rows<{ seq: string | number; shape: string | null }>(ctx, CANDIDATES, [
    ctx.now,
    max,
    workerId,
    exclude,
    claimId,
    tooLong,
    fitting.map((f) => f.shape),
    fitting.map((f) => f.most),
  ]);
  const picked = takeFitting(candidates, offer, max);
  if (picked.length === 0) return [];
  common[1] = picked.map((row) => row.seq);
  return rows<LeasedRow>(ctx, LEASE_PICKED, common);
}

/** The shapes of tasks ever submitted (a handful), read again at most once a second. */
export async function knownShapes(ctx: PgContext): Promise<readonly string[]> {
  const cached = ctx.shapes.fresh(ctx.now);
  if (cached) return cached;
  const found = await rows<{ shape: string }>(ctx, 'SELECT shape FROM task_shapes');
  return ctx.shapes.store(
    ctx.now,
    found.map((row) => row.shape),
  );
}

/** Records what a worker declared it has (making its row if it has none yet). */
export async function declareWorker(ctx: PgContext, workerId: string, host: string, declared: Declared) {
  await ctx.db.query(
    `INSERT INTO workers (worker_id, host, first_seen, last_seen, resources, labels) VALUES ($1, $2, $3, $3, $4, $5)
     ON CONFLICT (worker_id) DO UPDATE SET resources = excluded.resources, labels = excluded.labels`,
    [workerId, host, ctx.now, declared.resources, declared.labels],
  );
}
