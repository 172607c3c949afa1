/**
 * The queue's order, one rule for both stores' SQL: higher priority first; among equals, the task
 * ready first (a retry waits out its backoff in `not_before`), then the one submitted first. Claims
 * read the partial index `tasks_queue`, declared in this very order, and stop after LIMIT.
 */
export const QUEUE_ORDER = 'priority DESC, not_before, seq';
