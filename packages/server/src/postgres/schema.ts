/**
 * The PostgreSQL schema, in a schema of bottle's own (default `bottle`), versioned in its table
 * `bottle_migrations`: migration i brings the schema from version i to i + 1. Append to
 * `migrations`, never edit a released entry. Every statement runs with `search_path` set to
 * bottle's schema, so nothing is ever created elsewhere.
 */
import { BottleError } from '@bottle/protocol';
import type pg from 'pg';

export const migrations: readonly string[] = [
  // 1: tasks, attempts, scans, workers, with the gathered-output columns of SQLite's version 2.
  `
  CREATE TABLE scans (
    name text PRIMARY KEY,
    created_at bigint NOT NULL,
    lost_attempts bigint NOT NULL DEFAULT 0
  );

  CREATE TABLE tasks (
    seq bigserial PRIMARY KEY,          -- submission order; also the list cursor
    key text NOT NULL UNIQUE,           -- taskKey(task, params)
    task text NOT NULL,
    params text NOT NULL,               -- canonical JSON, kept as sent
    params_hash text NOT NULL,
    scan text NOT NULL REFERENCES scans(name),
    state text NOT NULL,
    attempt_count integer NOT NULL DEFAULT 0,
    charged integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    timeout_ms bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    not_before bigint NOT NULL,         -- ready time: queue order is (not_before, seq)
    worker_id text,
    host text,
    lease_token text,
    lease_expires_at bigint,
    started_at bigint,
    finished_at bigint,
    result text,                        -- JSON
    error text,
    upload_lease text                   -- the lease whose output upload was committed
  );
  CREATE INDEX tasks_ready ON tasks (not_before, seq) WHERE state = 'queued';
  CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE state = 'running';
  CREATE INDEX tasks_scan_state ON tasks (scan, state, seq);

  CREATE TABLE attempts (
    task_seq bigint NOT NULL REFERENCES tasks(seq),
    attempt integer NOT NULL,
    worker_id text NOT NULL,
    host text NOT NULL,
    lease_token text NOT NULL,
    outcome text NOT NULL,
    started_at bigint NOT NULL,
    ended_at bigint,
    error text,
    uploaded_at bigint,
    upload_bytes bigint,
    PRIMARY KEY (task_seq, attempt)
  );

  CREATE TABLE workers (
    worker_id text PRIMARY KEY,
    host text NOT NULL,
    first_seen bigint NOT NULL,
    last_seen bigint NOT NULL
  );
  `,
  // 2: the tails of each attempt's stdout and stderr, as its done or failed report carried them.
  `
  CREATE TABLE attempt_logs (
    task_seq bigint NOT NULL,
    attempt integer NOT NULL,
    stdout text NOT NULL,
    stderr text NOT NULL,
    PRIMARY KEY (task_seq, attempt)
  );
  `,
  // 3: what SQLite has. Idempotent claims: the claim id of the claim that granted each attempt.
  // Resends: what each lease's report said (a digest). Counts kept by statement triggers, as SQLite's
  // migration 4 keeps them (the same tables, filled from the tasks already there): scan_counts by scan
  // and state, scan_minutes of tasks finished (done or failed for good) by minute (epoch ms / 60000),
  // scan_durations of done tasks by bucket b holding durations d (ms) with 2^(b-1) <= d < 2^b (b = 0
  // below 1 ms). One trigger run per statement whatever its rows. Each count is split in `shard`s (by
  // server connection), summed when read: concurrent claims and reports on several connections then
  // add to different rows instead of queueing for one.
  `
  ALTER TABLE attempts ADD COLUMN claim_id text;
  ALTER TABLE attempts ADD COLUMN report_digest text;
  CREATE INDEX attempts_claim ON attempts (claim_id) WHERE claim_id IS NOT NULL;

  CREATE FUNCTION count_shard() RETURNS smallint LANGUAGE sql STABLE RETURN (pg_backend_pid() % 16)::smallint;

  CREATE TABLE scan_counts (
    scan text NOT NULL,
    state text NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (scan, state, shard)
  );
  INSERT INTO scan_counts (scan, state, shard, n) SELECT scan, state, 0, count(*) FROM tasks GROUP BY 1, 2;

  CREATE TABLE scan_minutes (
    scan text NOT NULL,
    minute bigint NOT NULL,
    shard smallint NOT NULL,
    done bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (scan, minute, shard)
  );
  INSERT INTO scan_minutes (scan, minute, shard, done, failed)
    SELECT scan, finished_at / 60000, 0, count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed')
    FROM tasks WHERE state IN ('done', 'failed') AND finished_at IS NOT NULL GROUP BY 1, 2;

  CREATE TABLE scan_durations (
    scan text NOT NULL,
    bucket integer NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (scan, bucket, shard)
  );
  CREATE FUNCTION duration_bucket(ms bigint) RETURNS integer LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN ms < 1 THEN 0 ELSE floor(log(2, ms::numeric))::integer + 1 END;
  INSERT INTO scan_durations (scan, bucket, shard, n)
    SELECT scan, duration_bucket(finished_at - started_at), 0, count(*) FROM tasks
    WHERE state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY 1, 2;

  CREATE FUNCTION count_inserted_tasks() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO scan_counts AS c (scan, state, shard, n)
      SELECT scan, state, count_shard(), count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (scan, state, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
  END $$;

  CREATE FUNCTION count_updated_tasks() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    WITH moved AS MATERIALIZED (
      SELECT o.scan AS old_scan, o.state AS old_state, n.scan, n.state, n.started_at, n.finished_at, n.updated_at
      FROM old_rows o JOIN new_rows n ON n.seq = o.seq
      WHERE o.state IS DISTINCT FROM n.state OR o.scan IS DISTINCT FROM n.scan
    ), delta AS (
      SELECT scan, state, sum(d) AS n FROM (
        SELECT old_scan AS scan, old_state AS state, -1 AS d FROM moved
        UNION ALL SELECT scan, state, 1 FROM moved
      ) x GROUP BY 1, 2 HAVING sum(d) <> 0
    ), counted AS (
      INSERT INTO scan_counts AS c (scan, state, shard, n) SELECT scan, state, count_shard(), n FROM delta ORDER BY 1, 2
      ON CONFLICT (scan, state, shard) DO UPDATE SET n = c.n + excluded.n
    ), minutes AS (
      INSERT INTO scan_minutes AS m (scan, minute, shard, done, failed)
        SELECT scan, coalesce(finished_at, updated_at) / 60000, count_shard(), count(*) FILTER (WHERE state = 'done'),
          count(*) FILTER (WHERE state = 'failed')
        FROM moved WHERE state IN ('done', 'failed') GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (scan, minute, shard) DO UPDATE SET done = m.done + excluded.done, failed = m.failed + excluded.failed
    )
    INSERT INTO scan_durations AS d (scan, bucket, shard, n)
      SELECT scan, duration_bucket(finished_at - started_at), count_shard(), count(*) FROM moved
      WHERE old_state = 'running' AND state = 'done' AND started_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (scan, bucket, shard) DO UPDATE SET n = d.n + excluded.n;
    RETURN NULL;
  END $$;

  CREATE FUNCTION count_deleted_tasks() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO scan_counts AS c (scan, state, shard, n)
      SELECT scan, state, count_shard(), -count(*) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (scan, state, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
  END $$;

  CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_tasks();
  CREATE TRIGGER tasks_count_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_updated_tasks();
  CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_tasks();
  `,
  // 4: priorities, as SQLite's migration 7: claims read tasks_queue in the queue's order
  // (store/queue-order.ts); tasks_ready stays for the earliest backoff's end (nextReadyAt).
  `
  ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;
  CREATE INDEX tasks_queue ON tasks (priority DESC, not_before, seq) WHERE state = 'queued';
  `,
  // 5: the reduce task of a scan (store/reduce.ts), queued each time the scan ends, as SQLite's 8.
  `
  ALTER TABLE scans ADD COLUMN reduce_task text;
  `,
  // The Slurm jobs the server's allocator submitted (bottle-server --slurm-alloc).
  `
  CREATE TABLE owned_jobs (
    job_id text PRIMARY KEY,
    workers integer NOT NULL,
    submitted_at bigint NOT NULL
  );
  `,
  // 7: the scan ends already told by webhooks, as SQLite's 10.
  `
  CREATE TABLE scan_ends_told (
    scan text NOT NULL,
    completion text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (scan, completion)
  );
  `,
  // 8: resources and labels, as SQLite's 11: the shape of a task's needs (NULL: it asks nothing), the
  // shapes ever submitted, one partial index for each kind of queued task, what each worker declared.
  `
  ALTER TABLE tasks ADD COLUMN shape text;
  CREATE TABLE task_shapes (shape text PRIMARY KEY);
  DROP INDEX tasks_queue;
  CREATE INDEX tasks_queue ON tasks (priority DESC, not_before, seq) WHERE state = 'queued' AND shape IS NULL;
  CREATE INDEX tasks_shaped ON tasks (shape, priority DESC, not_before, seq)
    WHERE state = 'queued' AND shape IS NOT NULL;
  ALTER TABLE workers ADD COLUMN resources text;
  ALTER TABLE workers ADD COLUMN labels text;
  `,
  // 9: the objective of a scan (store/scan-settings.ts), as SQLite's 12.
  `
  ALTER TABLE scans ADD COLUMN objective text;
  `,
];

/** One key for every bottle schema of a database: migrations of two schemas never run at once either. */
const MIGRATION_LOCK = [0x626f74, 0x746c65];

/**
 * Brings bottle's schema to the latest version under an advisory lock, so that servers starting
 * together migrate once. Refuses a schema that holds tables of another application.
 */
export async function migrate(client: pg.ClientBase, schema: string, shown: string): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1, $2)', MIGRATION_LOCK);
  try {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    const tables = rows.map((row) => row.table_name);
    if (tables.length > 0 && !tables.includes('bottle_migrations')) {
      const listed = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
      throw new BottleError(
        'ERR_DATABASE',
        `${shown}: schema '${schema}' holds tables that are not bottle's (${listed}); bottle changes nothing there. ` +
          'Give bottle a schema of its own with ?schema=NAME in the URL',
      );
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.bottle_migrations (
         version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = Number(
      (await client.query(`SELECT coalesce(max(version), 0) AS v FROM ${schema}.bottle_migrations`)).rows[0]
        ?.v,
    );
    if (current > migrations.length) {
      throw new BottleError(
        'ERR_DATABASE',
        `${shown}: schema '${schema}' has version ${current} but this bottle knows versions up to ${migrations.length}: upgrade bottle`,
      );
    }
    for (let version = current; version < migrations.length; version++) {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path = ${schema}`);
        await client.query(migrations[version]!);
        await client.query(`INSERT INTO ${schema}.bottle_migrations (version) VALUES ($1)`, [version + 1]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return migrations.length - current;
  } finally {
    // On a broken connection the lock went with the session; keep the error that broke it.
    await client.query('SELECT pg_advisory_unlock($1, $2)', MIGRATION_LOCK).catch(() => {});
  }
}
