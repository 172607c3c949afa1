/**
 * Writes transitions decided by store/transitions.ts (reports, expiries): every task and every
 * attempt of a batch in one statement, whatever its size.
 */
import type { AttemptEnd, TaskChange } from '../store/transitions.js';
import type { PgContext } from './_context.js';

export interface Transition {
  seq: number;
  attempt: number;
  task: TaskChange;
  end: AttemptEnd;
}

const WRITE = `WITH tasks_written AS (
  UPDATE tasks t SET state = u.state, result = u.result, error = u.error,
    not_before = u.not_before, charged = u.charged, finished_at = u.finished_at,
    lease_expires_at = NULL, updated_at = $7
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $8::bigint[])
    AS u(seq, state, result, error, not_before, charged, finished_at)
  WHERE t.seq = u.seq
)
UPDATE attempts a SET outcome = u.outcome, error = u.error, ended_at = u.ended_at, report_digest = u.digest
FROM unnest($9::bigint[], $10::int[], $11::text[], $12::text[], $13::bigint[], $14::text[])
  AS u(seq, attempt, outcome, error, ended_at, digest)
WHERE a.task_seq = u.seq AND a.attempt = u.attempt`;

/** `transitions` in order; a task changed twice keeps its last change (its attempts end each once). */
export async function writeTransitions(ctx: PgContext, transitions: readonly Transition[]): Promise<void> {
  if (transitions.length === 0) return;
  const tasks = [...new Map(transitions.map((t) => [t.seq, t])).values()];
  await ctx.db.query(WRITE, [
    tasks.map((t) => t.seq),
    tasks.map((t) => t.task.state),
    tasks.map((t) => t.task.result),
    tasks.map((t) => t.task.error),
    tasks.map((t) => t.task.not_before),
    tasks.map((t) => t.task.charged),
    ctx.now,
    tasks.map((t) => t.task.finished_at),
    transitions.map((t) => t.seq),
    transitions.map((t) => t.attempt),
    transitions.map((t) => t.end.outcome),
    transitions.map((t) => t.end.error),
    transitions.map((t) => t.end.ended_at),
    transitions.map((t) => t.end.digest),
  ]);
}
