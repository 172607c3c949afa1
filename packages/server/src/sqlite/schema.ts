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
