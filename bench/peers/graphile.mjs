// graphile-worker 0.18, the durable peer: PostgreSQL at 127.0.0.1:5432 in a database made for the run
// and dropped after it, ONE worker process (this file, run with `worker`) in the fast configuration of
// graphile-worker's performance docs: a local queue, batched completions, prepared statements.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPgDatabase, latencySummary, now, sleep, startProcess } from '../_measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ADD_BATCH = 5_000;

/** The documented fast configuration, at `concurrency` jobs at once. */
const preset = (connectionString, concurrency) => ({
  worker: {
    connectionString,
    concurrentJobs: concurrency,
    maxPoolSize: 25,
    preparedStatements: true,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
});

/** The worker process: `node graphile.mjs worker <connectionString> <concurrency>`. */
async function workerMain([connectionString, concurrency]) {
  const { run } = await import('graphile-worker');
  const { graphileTasks } = await import(join(here, '..', 'tasks', 'noop.mjs'));
  const runner = await run({
    preset: preset(connectionString, Number(concurrency)),
    taskList: graphileTasks,
    noHandleSignals: true,
  });
  process.once('SIGTERM', () => runner.stop().then(() => process.exit(0)));
  process.send({ ready: true });
}

async function startWorker(db, concurrency) {
  const worker = startProcess(
    null,
    [fileURLToPath(import.meta.url), 'worker', db.connectionString, concurrency],
    {
      ipc: true,
      env: { NO_LOG_SUCCESS: '1' }, // one log line per job is not part of the queue's cost
    },
  );
  await worker.message((m) => m.ready);
  return worker;
}

/** Waits until no job is left in the table: the last completion is committed. */
async function drained(db) {
  for (;;) {
    const { rows } = await db.pool.query(
      'select exists (select 1 from graphile_worker._private_jobs) as left',
    );
    if (!rows[0].left) return now();
    await sleep(25);
  }
}

async function throughput(db, concurrency, tasks) {
  const worker = await startWorker(db, concurrency);
  try {
    await db.utils.addJob('noop', {});
    await drained(db);
    const t0 = now();
    for (let first = 0; first < tasks; first += ADD_BATCH) {
      const batch = [];
      for (let n = first; n < Math.min(tasks, first + ADD_BATCH); n++)
        batch.push({ identifier: 'noop', payload: { n } });
      await db.utils.addJobs(batch);
    }
    return { value: tasks / (((await drained(db)) - t0) / 1000) };
  } finally {
    await worker.stop();
  }
}

/** Add -> task starts, one job at a time to an idle worker at concurrency 1. */
async function latency(db, samples) {
  const worker = await startWorker(db, 1);
  try {
    const found = [];
    for (let i = -5; i < samples; i++) {
      await sleep(30);
      const stamped = worker.message((m) => m.stamp !== undefined);
      const submittedAt = now();
      await db.utils.addJob('stamp', {});
      const { stamp } = await stamped;
      if (i >= 0) found.push(stamp - submittedAt);
    }
    await drained(db);
    return latencySummary(found);
  } finally {
    await worker.stop();
  }
}

/** The graphile-worker rows; skipped (each with the reason) when PostgreSQL cannot be reached. */
export async function open({ tasks, wide, samples }) {
  const system = 'graphile-worker 0.18 (PostgreSQL, durable), fast configuration';
  const peer = 'graphile-worker';
  const db = await createPgDatabase();
  if (db.skip)
    return {
      cases: [`x${wide}`, 'latency'].map((measure) => ({ measure, system, peer, skip: db.skip })),
      close: async () => {},
    };
  const { makeWorkerUtils } = await import('graphile-worker');
  const { default: pg } = await import('pg');
  db.utils = await makeWorkerUtils({ connectionString: db.connectionString });
  await db.utils.migrate();
  db.pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  db.pool.on('error', () => {}); // an idle client dropped by the server is replaced on the next query
  return {
    cases: [
      { measure: `x${wide}`, system, peer, run: () => throughput(db, wide, tasks) },
      { measure: 'latency', system, peer, run: () => latency(db, samples) },
    ],
    close: async () => {
      await db.utils.release();
      await db.pool.end();
      await db.drop();
    },
  };
}

if (process.argv[2] === 'worker' && import.meta.url === pathToFileURL(process.argv[1]).href)
  await workerMain(process.argv.slice(3));
