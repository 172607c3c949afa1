/**
 * The queue's order, one rule for both stores' SQL: higher priority first; among equals, the task
 * ready first (a retry waits out its backoff in `not_before`), then the one submitted first. Claims
 * read the partial index `tasks_queue` (tasks that ask nothing), declared in this very order, and
 * stop after LIMIT; tasks with needs sit in `tasks_shaped`, in this order within each shape (fit.ts).
 */
export const QUEUE_ORDER = 'priority DESC, not_before, seq';
