/** The lease statement both claims share (claim.ts, claim-fit.ts): what it checks and what it writes. */
import { QUEUE_ORDER } from '../store/queue-order.js';
import { touchWorkerSql } from './_context.js';

/** A row as a lease statement returns it. */
export interface LeasedRow {
  key: string;
  task: string;
  params: string;
  params_hash: string;
  scan: string;
  attempt_count: number;
  timeout_ms: number | null;
  max_attempts: number;
  charged: number;
  lease_token: string;
  shape: string | null;
}

/**
 * What every claim checks of a queued task, with the placeholders of its statement: ready at `now`,
 * not a name the worker cannot run (`exclude`), not of a scan it has no time left for (`tooLong`),
 * and the claim id granted nothing yet to this `worker` (else it is a repeat).
 */
export const readyWhere = (now: string, worker: string, exclude: string, claimId: string, tooLong: string) =>
  `state = 'queued' AND not_before <= ${now} AND NOT (task = ANY(${exclude}::text[]))
    AND NOT (scan = ANY(${tooLong}::text[]))
    AND NOT EXISTS (SELECT 1 FROM attempts WHERE claim_id = ${claimId}::text AND worker_id = ${worker})`;

/** readyWhere with the placeholders of the lease statements: $1 now, $3 worker, $7, $8, $9. */
export const READY = readyWhere('$1', '$3', '$7', '$8', '$9');

/**
 * Leases the rows of the CTE `ready` (it locks them). $1 now, $3 worker, $4 host, $5 state, $6 lease
 * expiry (null when delivered for good), $8 the claim id (null for none).
 */
export const leaseReady = (ready: string) => `
WITH ready AS (
  ${ready}
), leased AS (
  UPDATE tasks t SET state = $5, attempt_count = t.attempt_count + 1, charged = t.charged + 1,
    worker_id = $3, host = $4, lease_token = gen_random_uuid()::text, lease_expires_at = $6,
    started_at = $1, finished_at = CASE WHEN $5 = 'running' THEN NULL ELSE $1::bigint END, updated_at = $1
  FROM ready WHERE t.seq = ready.seq
  RETURNING t.seq, t.key, t.task, t.params, t.params_hash, t.scan, t.attempt_count, t.timeout_ms,
    t.max_attempts, t.charged, t.lease_token, t.not_before, t.priority, t.shape
), recorded AS (
  INSERT INTO attempts (task_seq, attempt, worker_id, host, lease_token, outcome, started_at, ended_at, claim_id)
  SELECT seq, attempt_count, $3, $4, lease_token, $5, $1,
    CASE WHEN $5 = 'running' THEN NULL ELSE $1::bigint END, $8 FROM leased
), touched AS (
  ${touchWorkerSql('$3', '$4', '$1')}
)
SELECT * FROM leased ORDER BY ${QUEUE_ORDER}`;
