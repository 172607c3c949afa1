// BullMQ 6.7 on a private redis-server: ONE worker process (this file, run with `worker`), with the
// in-process processor or the sandboxed one (a child process per concurrent job, no worker threads).
// The bench process adds the jobs; the worker process says when the last one completed.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { latencySummary, now, sleep, startProcess, startRedis } from '../_measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const processorFile = join(here, '..', 'tasks', 'noop.mjs');
const ADD_BATCH = 5_000;

/** The worker process: `node bullmq.mjs worker <port> <queue> <in-process|sandboxed> <concurrency>`. */
async function workerMain([port, queue, kind, concurrency]) {
  const { Worker } = await import('bullmq');
  const processor = kind === 'sandboxed' ? processorFile : (await import(processorFile)).default;
  const worker = new Worker(queue, processor, {
    connection: { host: '127.0.0.1', port: Number(port) },
    concurrency: Number(concurrency),
    useWorkerThreads: false,
  });
  let expected = Number.POSITIVE_INFINITY;
  let completed = 0;
  process.on('message', (m) => {
    expected = m.expect;
    completed = 0;
    process.send({ expecting: m.expect });
  });
  worker.on('completed', (job, value) => {
    if (job.data.stamp) process.send({ stamp: value });
    if (++completed === expected) process.send({ done: now() });
  });
  worker.on('failed', (_job, error) => process.send({ failed: error.message }));
  process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
  await worker.waitUntilReady();
  process.send({ ready: true });
}

async function startWorker(redis, queue, kind, concurrency) {
  const worker = startProcess(
    null,
    [fileURLToPath(import.meta.url), 'worker', redis.port, queue, kind, concurrency],
    {
      ipc: true,
    },
  );
  worker.child.on('message', (m) => {
    if (m.failed) console.error(`BullMQ job failed: ${m.failed}`);
  });
  await worker.message((m) => m.ready);
  const expect = async (count) => {
    worker.child.send({ expect: count });
    await worker.message((m) => m.expecting === count);
    return worker.message((m) => m.done);
  };
  return { ...worker, expect };
}

let queues = 0;

async function throughput(redis, kind, concurrency, tasks) {
  const { Queue } = await import('bullmq');
  const name = `bench-${++queues}`;
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
  const worker = await startWorker(redis, name, kind, concurrency);
  try {
    let done = worker.expect(1);
    await queue.add('warm', {});
    await done;
    done = worker.expect(tasks);
    const t0 = now();
    for (let first = 0; first < tasks; first += ADD_BATCH) {
      const batch = [];
      for (let n = first; n < Math.min(tasks, first + ADD_BATCH); n++)
        batch.push({ name: 'noop', data: { n } });
      await queue.addBulk(batch);
    }
    const { done: last } = await done;
    return { value: tasks / ((last - t0) / 1000) };
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** Add -> processor starts, one job at a time to an idle worker at concurrency 1. */
async function latency(redis, kind, samples) {
  const { Queue } = await import('bullmq');
  const name = `bench-${++queues}`;
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
  const worker = await startWorker(redis, name, kind, 1);
  try {
    const found = [];
    for (let i = -5; i < samples; i++) {
      await sleep(30); // the worker is back in its blocking wait
      const stamped = worker.message((m) => m.stamp !== undefined);
      const submittedAt = now();
      await queue.add('stamp', { stamp: true });
      const { stamp } = await stamped;
      if (i >= 0) found.push(stamp - submittedAt);
    }
    return latencySummary(found);
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** The BullMQ rows; skipped (each with the reason) when no redis-server can be started. */
export async function open({ tasks, wide, samples }) {
  const kinds = [
    ['in-process', 'BullMQ 6.7, in-process processor', 'BullMQ in-process'],
    ['sandboxed', 'BullMQ 6.7, sandboxed processor (processes)', 'BullMQ sandboxed'],
  ];
  const redis = await startRedis();
  const cases = [];
  for (const [kind, system, peer] of kinds) {
    const row = (measure, run) =>
      cases.push(redis.skip ? { measure, system, peer, skip: redis.skip } : { measure, system, peer, run });
    row('x1', () => throughput(redis, kind, 1, tasks));
    row(`x${wide}`, () => throughput(redis, kind, wide, tasks));
    row('latency', () => latency(redis, kind, samples));
  }
  return { cases, close: async () => redis.stop?.() };
}

if (process.argv[2] === 'worker' && import.meta.url === pathToFileURL(process.argv[1]).href)
  await workerMain(process.argv.slice(3));
