/**
 * The SQLite schema, versioned with `PRAGMA user_version`: migration i brings a file from
 * version i to i + 1. Append to `migrations`, never edit a released entry, so that a newer
 * bottle can open an older file.
 */
import { BottleError } from '@bottle/protocol';
import type Database from 'better-sqlite3';

export const migrations: readonly string[] = [
  // 1: tasks, attempts, scans, workers.
  `
  CREATE TABLE scans (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    lost_attempts INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,            -- submission order; also the list cursor
    key TEXT NOT NULL UNIQUE,           -- taskKey(task, params)
    task TEXT NOT NULL,
    params TEXT NOT NULL,               -- canonical JSON
    params_hash TEXT NOT NULL,
    scan TEXT NOT NULL REFERENCES scans(name),
    state TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,  -- attempts ever started: numbers the attempts
    charged INTEGER NOT NULL DEFAULT 0,        -- attempts counted against max_attempts since the last rerun
    max_attempts INTEGER NOT NULL,
    timeout_ms INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    not_before INTEGER NOT NULL,        -- ready time: queue order is (not_before, seq)
    worker_id TEXT,
    host TEXT,
    lease_token TEXT,                   -- of the latest attempt; valid only while state = 'running'
    lease_expires_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    result TEXT,                        -- JSON
    error TEXT
  );
  -- Claims read this index in order and stop after LIMIT: the cost does not grow with the queue.
  CREATE INDEX tasks_ready ON tasks (not_before, seq) WHERE state = 'queued';
  CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE state = 'running';
  CREATE INDEX tasks_scan_state ON tasks (scan, state, seq);

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    task_seq INTEGER NOT NULL REFERENCES tasks(seq),
    attempt INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    host TEXT NOT NULL,
    lease_token TEXT NOT NULL,
    outcome TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    error TEXT
  );
  CREATE INDEX attempts_task ON attempts (task_seq, attempt);

  CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: gathered outputs. The lease token whose output upload was committed: with --gather, a `done`
  // report is accepted only from the lease that uploaded (tasks.upload_lease = tasks.lease_token).
  `
  ALTER TABLE tasks ADD COLUMN upload_lease TEXT;
  ALTER TABLE attempts ADD COLUMN uploaded_at INTEGER;
  ALTER TABLE attempts ADD COLUMN upload_bytes INTEGER;
  `,
  // 3: idempotent claims. The worker's claim id of the claim that granted the attempt, so that a
  // repeated claim (its answer was lost) is answered with the same leases instead of new ones.
  `
  ALTER TABLE attempts ADD COLUMN claim_id TEXT;
  CREATE INDEX attempts_claim ON attempts (claim_id) WHERE claim_id IS NOT NULL;
  `,
  // 4: counts kept by triggers, so that progress never scans the tasks table. The statements that
  // change a task's state stay as they are: every insert, state change and delete adjusts these
  // tables in the same transaction. scan_counts: tasks by scan and state. scan_minutes: tasks that
  // finished (done or failed for good) by scan and minute (epoch ms / 60000), for rates and
  // throughput over time. scan_durations: finished tasks by scan and duration bucket b, holding the
  // durations d (ms) with 2^(b-1) <= d < 2^b (b = 0 for d < 1 ms). Rows of finished tasks that are
  // rerun leave scan_minutes and scan_durations as they were: those count what happened.
  `
  CREATE TABLE scan_counts (
    scan TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scan, state)
  ) WITHOUT ROWID;
  INSERT INTO scan_counts (scan, state, n) SELECT scan, state, count(*) FROM tasks GROUP BY scan, state;

  CREATE TABLE scan_minutes (
    scan TEXT NOT NULL,
    minute INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scan, minute)
  ) WITHOUT ROWID;
  INSERT INTO scan_minutes (scan, minute, done, failed)
    SELECT scan, finished_at / 60000, sum(state = 'done'), sum(state = 'failed') FROM tasks
    WHERE state IN ('done', 'failed') AND finished_at IS NOT NULL GROUP BY scan, finished_at / 60000;

  CREATE TABLE scan_durations (
    scan TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scan, bucket)
  ) WITHOUT ROWID;

  CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO scan_counts (scan, state, n) VALUES (NEW.scan, NEW.state, 1)
      ON CONFLICT (scan, state) DO UPDATE SET n = n + 1;
  END;

  CREATE TRIGGER tasks_count_update AFTER UPDATE OF state, scan ON tasks
  WHEN OLD.state IS NOT NEW.state OR OLD.scan IS NOT NEW.scan BEGIN
    UPDATE scan_counts SET n = n - 1 WHERE scan = OLD.scan AND state = OLD.state;
    INSERT INTO scan_counts (scan, state, n) VALUES (NEW.scan, NEW.state, 1)
      ON CONFLICT (scan, state) DO UPDATE SET n = n + 1;
  END;

  CREATE TRIGGER tasks_count_finish AFTER UPDATE OF state ON tasks
  WHEN OLD.state IS NOT NEW.state AND NEW.state IN ('done', 'failed') BEGIN
    INSERT INTO scan_minutes (scan, minute, done, failed)
      VALUES (NEW.scan, coalesce(NEW.finished_at, NEW.updated_at) / 60000,
              NEW.state = 'done', NEW.state = 'failed')
      ON CONFLICT (scan, minute) DO UPDATE SET done = done + excluded.done, failed = failed + excluded.failed;
  END;

  CREATE TRIGGER tasks_count_duration AFTER UPDATE OF state ON tasks
  WHEN OLD.state = 'running' AND NEW.state = 'done' AND NEW.started_at IS NOT NULL BEGIN
    INSERT INTO scan_durations (scan, bucket, n)
      VALUES (NEW.scan, CASE WHEN NEW.finished_at - NEW.started_at < 1 THEN 0
                        ELSE CAST(log2(NEW.finished_at - NEW.started_at) AS INTEGER) + 1 END, 1)
      ON CONFLICT (scan, bucket) DO UPDATE SET n = n + 1;
  END;

  CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
    UPDATE scan_counts SET n = n - 1 WHERE scan = OLD.scan AND state = OLD.state;
  END;
  `,
  // 5: the tails of each attempt's stdout and stderr, as its done or failed report carried them.
  `
  CREATE TABLE attempt_logs (
    task_seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    stdout TEXT NOT NULL,
    stderr TEXT NOT NULL,
    PRIMARY KEY (task_seq, attempt)
  ) WITHOUT ROWID;
  `,
  // 6: what each lease's report said (a digest), so that a resend is told from another report on that lease.
  `
  ALTER TABLE attempts ADD COLUMN report_digest TEXT;
  `,
  // 7: priorities. Claims read tasks_queue in the queue's order (store/queue-order.ts); tasks_ready
  // stays for the earliest backoff's end (nextReadyAt).
  `
  ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX tasks_queue ON tasks (priority DESC, not_before, seq) WHERE state = 'queued';
  `,
  // 8: the reduce task of a scan (store/reduce.ts), queued each time the scan ends.
  `
  ALTER TABLE scans ADD COLUMN reduce_task TEXT;
  `,
  // 9: the Slurm jobs the server's allocator submitted (bottle-server --slurm-alloc).
  `
  CREATE TABLE owned_jobs (
    job_id TEXT PRIMARY KEY,
    workers INTEGER NOT NULL,
    submitted_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 10: the scan ends already told by webhooks (store/reduce.ts's completion digest), so that one end
  // is told once whoever sees it.
  `
  CREATE TABLE scan_ends_told (
    scan TEXT NOT NULL,
    completion TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (scan, completion)
  ) WITHOUT ROWID;
  `,
  // 11: resources and labels (store/fit.ts). A task's needs as one canonical text, its shape (NULL: it
  // asks nothing); the shapes ever submitted, few however many tasks. Each queued task sits in one of
  // two partial indexes: tasks_queue for those that ask nothing (the claim's path as before), and
  // tasks_shaped, read one shape at a time, for the others. What each worker declared it has.
  `
  ALTER TABLE tasks ADD COLUMN shape TEXT;
  CREATE TABLE task_shapes (shape TEXT PRIMARY KEY) WITHOUT ROWID;
  DROP INDEX tasks_queue;
  CREATE INDEX tasks_queue ON tasks (priority DESC, not_before, seq) WHERE state = 'queued' AND shape IS NULL;
  CREATE INDEX tasks_shaped ON tasks (shape, priority DESC, not_before, seq)
    WHERE state = 'queued' AND shape IS NOT NULL;
  ALTER TABLE workers ADD COLUMN resources TEXT;
  ALTER TABLE workers ADD COLUMN labels TEXT;
  `,
  // 12: the objective of a scan (store/scan-settings.ts), as canonical JSON: a search records its own.
  `
  ALTER TABLE scans ADD COLUMN objective TEXT;
  `,
];

/** Brings the file to the latest schema version, each step in its own transaction. */
export function migrate(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new BottleError(
      'ERR_CONFLICT',
      `${file} has schema version ${current} but this bottle knows versions up to ${migrations.length}: upgrade bottle to open it`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
