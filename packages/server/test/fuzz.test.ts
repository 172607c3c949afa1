/**
 * The fuzz suite: generated requests against every route of a real server, standalone and mounted
 * under a prefix with a token, mixed with a valid flow of submits, claims and reports.
 * Properties: no 5xx; every answer is JSON, and every refusal carries a catalogued code with its
 * status; afterwards the store is consistent. `BOTTLE_FUZZ_REQUESTS` sets the number of requests
 * per server (`pnpm fuzz` runs 50,000 on each, 10^5 in all); `BOTTLE_FUZZ_SEED` replays a run.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorCode, errorCatalog, taskKey } from '@bottle/protocol';
import { type BottleRouter, createBottleRouter, SqliteStore, startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import express from 'express';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBody, type FuzzRequest, fuzzRequest, type Pick, resolvePicks } from './fuzz-requests.js';
import { call, quietLogger } from './helpers.js';
import { serveMounted } from './mount.js';
import { type RawReply, raw } from './raw-http.js';
import { routeTable } from './route-table.js';

const requests = Number(process.env['BOTTLE_FUZZ_REQUESTS'] ?? 300);
const seed =
  process.env['BOTTLE_FUZZ_SEED'] === undefined ? undefined : Number(process.env['BOTTLE_FUZZ_SEED']);
const BATCH = 8;
/** Long runs say how far they are. */
const progress = process.env['BOTTLE_FUZZ_REQUESTS'] !== undefined;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Target {
  base: string;
  token: string | undefined;
  router: BottleRouter;
  /** Mounted in an application, whose own 404 answers paths the router does not own. */
  mounted: boolean;
}

async function standalone(): Promise<Target> {
  const dir = makeTempDir('bottle-fuzz-');
  const server = await startBottleServer({
    port: 0,
    db: `${dir.path}/bottle.db`,
    logger: quietLogger,
    maxClaimWaitMs: 20,
    // No lease may expire while the checks read the store at two moments.
    leaseMs: 3_600_000,
    bodyLimit: '2MiB',
  });
  cleanups.push(async () => {
    await server.close();
    dir.remove();
  });
  return { base: server.url, token: undefined, router: server.router, mounted: false };
}

async function mounted(): Promise<Target> {
  const dir = makeTempDir('bottle-fuzz-');
  // No lease may expire while the checks read the store at two moments.
  const store = new SqliteStore(`${dir.path}/bottle.db`, { policy: { leaseMs: 3_600_000 } });
  const router = createBottleRouter({
    store,
    logger: quietLogger,
    maxClaimWaitMs: 20,
    token: 'tok',
    bodyLimit: '2MiB',
  });
  const app = express();
  app.get('/app', (_req, res) => {
    res.json({ app: true });
  });
  const served = await serveMounted(
    router,
    '/under/here',
    async () => {
      await store.close();
      dir.remove();
    },
    app,
  );
  cleanups.push(() => served.close());
  return { base: served.base, token: 'tok', router, mounted: true };
}

/** What the valid flow had acknowledged. */
interface Ledger {
  submitted: Map<string, { task: string; params: unknown }>;
  done: Set<string>;
  keys: string[];
  leases: string[];
}

/** Paths the router answers; in an application, others belong to the application. */
const ownPath = /^\/v1(\/|$)|^\/(healthz|task|tasks|alltasks)$/;

function checkAnswer(target: Target, request: FuzzRequest, reply: RawReply): void {
  const what = `${request.method} ${request.path}${request.query} (${request.form}) → ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status < 500, what).toBe(true);
  if (request.method === 'HEAD') return;
  if (target.mounted && reply.status === 404 && !ownPath.test(request.path)) return;
  // Not the API: Prometheus text and the dashboard's page and files answer in their own formats.
  const page = request.path === '/' || /^\/dashboard\/[^/]+$/.test(request.path);
  if (reply.status < 400 && (request.path === '/metrics' || (page && request.method === 'GET'))) return;
  expect(String(reply.headers['content-type']), what).toMatch(/^application\/json/);
  expect(reply.json, what).not.toBe(undefined);
  if (reply.status >= 400) {
    const code = (reply.json as { error?: { code?: string } }).error?.code as ErrorCode;
    expect(code in errorCatalog, what).toBe(true);
    expect(errorCatalog[code].status, what).toBe(reply.status);
  }
}

/** A worker and a submitter doing the right thing while the fuzz runs. */
function validFlow(target: Target, ledger: Ledger, stop: { now: boolean }): Promise<void> {
  const init = { token: target.token };
  const submitter = async () => {
    for (let batch = 0; !stop.now; batch++) {
      const tasks = Array.from({ length: 5 }, (_, i) => ({
        task: 'flow.task',
        params: { batch, i, s: 'é\u2028' },
      }));
      const reply = await call(target.base, 'POST', '/v1/tasks', { tasks, scan: 'flow' }, init);
      expect(reply.status).toBe(200);
      for (const t of tasks) ledger.submitted.set(taskKey(t.task, t.params), t);
      // A steady trickle beside the fuzz, not a flood that would take the server's time.
      await sleep(20);
    }
  };
  const worker = async () => {
    for (let n = 0; !stop.now; n++) {
      const claimId = `flow-${n}`;
      const request = { workerId: 'flow', host: 'h', max: 4, waitMs: 10, claimId };
      const claim = await call(target.base, 'POST', '/v1/claim', request, init);
      expect(claim.status).toBe(200);
      const tasks = claim.body.tasks as { key: string; leaseToken: string; scan: string }[];
      if (tasks.length === 0) await sleep(10);
      for (const t of tasks) {
        ledger.keys.push(t.key);
        ledger.leases.push(t.leaseToken);
      }
      const reports = tasks
        .filter((t) => t.scan === 'flow')
        .map((t) => ({ outcome: 'done', key: t.key, leaseToken: t.leaseToken, result: { ok: t.key } }));
      if (reports.length === 0) continue;
      // Every other report is sent twice, as after a lost answer: both must succeed.
      for (let send = 0; send < (n % 2 ? 2 : 1); send++) {
        const reply = await call(target.base, 'POST', '/v1/report', { workerId: 'flow', reports }, init);
        for (const r of reply.body.results as { key: string; ok: boolean }[]) {
          expect(r.ok, JSON.stringify(r)).toBe(true);
          ledger.done.add(r.key);
        }
      }
    }
  };
  return Promise.all([submitter(), worker()]).then(() => undefined);
}

async function listAll(target: Target): Promise<Map<string, Record<string, unknown>>> {
  const all = new Map<string, Record<string, unknown>>();
  let cursor: string | null = null;
  do {
    const page = (await get(target, `/v1/tasks?limit=10000${cursor ? `&cursor=${cursor}` : ''}`)) as {
      tasks: Record<string, unknown>[];
      nextCursor: string | null;
    };
    for (const t of page.tasks) all.set(t['key'] as string, t);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/**
 * A read on a fresh connection: the checks block the event loop for seconds, long enough for the
 * server to close a pooled keep-alive connection just as it is reused.
 */
async function get(target: Target, path: string): Promise<unknown> {
  const reply = await raw(target.base, 'GET', path, {
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
  });
  expect(reply.status, `GET ${path}: ${reply.text.slice(0, 200)}`).toBe(200);
  return reply.json;
}

async function checkStore(target: Target, ledger: Ledger): Promise<void> {
  const tasks = await listAll(target);
  for (const [key, spec] of ledger.submitted) {
    const stored = tasks.get(key);
    expect(stored, `acknowledged task ${key} missing`).toBeDefined();
    expect(stored?.['params']).toEqual(spec.params);
  }
  for (const key of ledger.done) expect(tasks.get(key)?.['state'], key).toBe('done');
  for (const t of tasks.values()) {
    expect(
      taskKey(t['task'] as string, t['params'] as Record<string, never>),
      'a task under a key it does not hash to',
    ).toBe(t['key']);
    if (t['state'] !== 'running')
      expect(t['leaseExpiresAt'], `${t['key']} ${t['state']} with a lease`).toBe(null);
  }
  // Counts agree across the listing routes.
  const { scans } = (await get(target, '/v1/scans')) as {
    scans: {
      name: string;
      total: number;
      counts: Record<string, number>;
    }[];
  };
  for (const scan of scans) {
    const mine = [...tasks.values()].filter((t) => t['scan'] === scan.name);
    expect(scan.total, scan.name).toBe(mine.length);
    for (const [state, count] of Object.entries(scan.counts)) {
      expect([scan.name, state, count]).toEqual([
        scan.name,
        state,
        mine.filter((t) => t['state'] === state).length,
      ]);
    }
  }
  expect(scans.reduce((sum, s) => sum + s.total, 0)).toBe(tasks.size);
  // Exactly one completion recorded per done task (a sample of the flow's).
  for (const key of [...ledger.done].slice(0, 50)) {
    const detail = (await get(target, `/v1/tasks/${key}`)) as { attempts: { outcome: string }[] };
    const done = detail.attempts.filter((a) => a.outcome === 'done');
    expect(done.length, key).toBe(1);
  }
}

async function fuzz(target: Target): Promise<{ sent: number; statuses: Record<number, number> }> {
  const ledger: Ledger = { submitted: new Map(), done: new Set(), keys: [], leases: [] };
  // Tasks the operators' verbs of the fuzz may cancel and rerun (never the flow's).
  const fuzzTasks = Array.from({ length: 20 }, (_, i) => ({ task: 'fz.op', params: { i } }));
  await call(target.base, 'POST', '/v1/tasks', { tasks: fuzzTasks, scan: 'fz' }, { token: target.token });
  const fuzzKeys = fuzzTasks.map((t) => taskKey(t.task, t.params));
  const stop = { now: false };
  const flow = validFlow(target, ledger, stop);
  // The event streams answer with a stream that stays open (their refusals are checked by token-routes).
  const streams = ['/v1/events', '/v1/scans/:name/events'];
  const routes = routeTable(target.router).filter((route) => !streams.includes(route.pattern));
  const statuses: Record<number, number> = {};
  let sent = 0;
  const pickFrom = (slot: Pick): string => {
    const pool = slot.pick === 'lease' ? ledger.leases : slot.pick === 'key' ? ledger.keys : fuzzKeys;
    return pool.length === 0 ? 'e'.repeat(64) : pool[slot.index % pool.length]!;
  };
  const send = async (request: FuzzRequest) => {
    const body = resolvePicks(request.body, pickFrom);
    const path = request.path
      .replace('{key}', () => pickFrom({ pick: 'key', index: request.bytes.length }))
      .replace('{fuzzKey}', () => pickFrom({ pick: 'fuzzKey', index: request.bytes.length }));
    const encoded = encodeBody(request, body);
    const headers = target.token
      ? { ...encoded.headers, authorization: `Bearer ${target.token}` }
      : encoded.headers;
    const reply = await raw(target.base, request.method, `${path}${request.query}`, {
      headers,
      body: encoded.body,
    });
    sent++;
    if (progress && sent % 5_000 === 0) process.stderr.write(`fuzz: ${sent} requests sent\n`);
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    checkAnswer(target, { ...request, path }, reply);
  };
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fuzzRequest(routes), { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          await Promise.all(batch.map(send));
        },
      ),
      { numRuns: Math.ceil(requests / BATCH), endOnFailure: true, ...(seed === undefined ? {} : { seed }) },
    );
  } finally {
    stop.now = true;
    await flow;
  }
  await checkStore(target, ledger);
  return { sent, statuses };
}

describe('fuzz: generated requests on every route', () => {
  const timeout = 60_000 + requests * 60;
  it(
    'standalone: no 5xx, JSON with catalogued codes, a consistent store',
    async () => {
      const result = await fuzz(await standalone());
      expect(result.sent).toBeGreaterThanOrEqual(requests);
      if (process.env['BOTTLE_FUZZ_REQUESTS'])
        process.stdout.write(`standalone: ${JSON.stringify(result)}\n`);
    },
    timeout,
  );
  it(
    'mounted under a prefix with a token: the same',
    async () => {
      const result = await fuzz(await mounted());
      expect(result.sent).toBeGreaterThanOrEqual(requests);
      if (process.env['BOTTLE_FUZZ_REQUESTS']) process.stdout.write(`mounted: ${JSON.stringify(result)}\n`);
    },
    timeout,
  );
});
