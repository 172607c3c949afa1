// What every benchmark shares: one clock for all processes, percentiles and medians, child processes,
// CPU time from /proc, and private Redis and PostgreSQL databases that are thrown away afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** A case a system cannot run here (e.g. a worker refuses `--isolation thread`): its row says why. */
export class Skip extends Error {}

/**
 * Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares: a stamp taken in a
 * task process can be subtracted from one taken here, with sub-microsecond resolution.
 */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The value at quantile q (0..1) of numbers sorted ascending. */
export function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** p50 and p99 of latency samples in ms. */
export function latencySummary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length };
}

/**
 * CPU time of a process, all its threads, in ms (0 once it is gone), from the nanosecond counters of
 * /proc/<pid>/task/<tid>/schedstat: an idle server's few milliseconds show where /proc/<pid>/stat's
 * 10 ms ticks would read 0.
 */
export function cpuMs(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {} // a thread that ended between the listing and the read
    }
  } catch {}
  return ns / 1e6;
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const onPath = (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// Ctrl-C or a kill: leave through 'exit' so that no server, worker or redis-server outlives the bench.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/**
 * Starts a child process (`node` with `args` when `command` is null) and collects its output.
 * `waitFor(pattern)` resolves with the first match in the output and rejects if the child exits first.
 */
export function startProcess(command, args, { cwd, ipc = false, env } = {}) {
  const child = spawn(command ?? process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
    env: { ...process.env, DEBUG: '', ...env },
  });
  children.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    }),
  );
  const waitFor = (pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = out.match(pattern);
        if (match) {
          clearInterval(timer);
          resolve(match);
        }
      };
      const timer = setInterval(check, 5);
      exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`${args.join(' ')} exited (${code}) before printing ${pattern}:\n${out}`));
      });
    });
  /** Resolves with the first IPC message for which `test` is true. */
  const message = (test) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (!test(m)) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      exited.then((code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${out}`)));
    });
  const stop = () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    return exited.finally(() => clearTimeout(timer));
  };
  return { child, exited, waitFor, message, stop, output: () => out };
}

const keepAlive = new Agent({ keepAlive: true });

/**
 * JSON over HTTP on a keep-alive connection (node's own `http.request`, as BottleClient sends its
 * submits, claims and reports); throws with the answer's body when the status is not 2xx.
 */
export function call(url, method, path, body) {
  return new Promise((resolve, reject) => {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const headers = json === undefined ? {} : { 'content-type': 'application/json' };
    const req = request(url + path, { method, agent: keepAlive, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const answer = JSON.parse(text);
          if (res.statusCode >= 200 && res.statusCode < 300) resolve(answer);
          else reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        } catch (error) {
          reject(
            new Error(`${method} ${path}: ${res.statusCode}, not JSON: ${text.slice(0, 200)}`, {
              cause: error,
            }),
          );
        }
      });
    });
    req.on('error', reject);
    req.end(json);
  });
}

/**
 * A private `redis-server` on a free loopback port, persisting nothing; `{ skip }` when
 * `redis-server` is not on PATH.
 */
export async function startRedis() {
  if (!onPath('redis-server')) return { skip: 'redis-server is not on PATH' };
  const port = await freePort();
  const redis = startProcess('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await redis.waitFor(/Ready to accept connections/);
  return { port, stop: redis.stop, pid: redis.child.pid };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh PostgreSQL database `bottle_bench_<pid>` on 127.0.0.1:5432 and a `drop()` for it, or
 * `{ skip }` when the server cannot be reached.
 */
export async function createPgDatabase() {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  admin.on('error', () => {}); // a lost admin connection shows as a failed DROP, not a crash
  try {
    await admin.connect();
  } catch (error) {
    return { skip: `no PostgreSQL at 127.0.0.1:5432 (${error.message})` };
  }
  const name = `bottle_bench_${process.pid}`;
  // Databases left by a bench that was killed: their process is gone.
  const { rows } = await admin.query(
    "SELECT datname FROM pg_database WHERE datname LIKE 'bottle\\_bench\\_%'",
  );
  for (const { datname } of rows) {
    const pid = Number(datname.slice('bottle_bench_'.length));
    if (pid !== process.pid && !alive(pid))
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  return { connectionString: `postgres://postgres@127.0.0.1:5432/${name}`, drop };
}
