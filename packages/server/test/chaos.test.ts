// biome-ignore-all lint/suspicious/noExplicitAny: reply bodies are arbitrary JSON, checked by the assertions
/**
 * The crash suite: `kill -9` of a real server process at random moments of a sweep, with several
 * workers that follow the protocol's retry contract (the same `claimId` when a claim is repeated
 * after a network error; a done report resent until it is answered). After each kill the server
 * restarts on the same file and port. Properties: nothing acknowledged is lost; every task is done
 * exactly once; every done report is eventually accepted; no attempt is charged for a task that no
 * worker received. `BOTTLE_CHAOS_KILLS` and `BOTTLE_CHAOS_TASKS` size the run (`pnpm chaos`).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { taskKey } from '@bottle/protocol';
import { type ChildHandle, freePort, makeTempDir, spawnChild } from '@bottle/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir } from './built.js';

const kills = Number(process.env['BOTTLE_CHAOS_KILLS'] ?? 3);
const taskCount = Number(process.env['BOTTLE_CHAOS_TASKS'] ?? 600);
const WORKERS = 4;
// Longer than any outage: a lease must never expire here, so every attempt is one a worker got.
const LEASE_MS = 60_000;
const fixture = join(packageDir, 'test', 'fixtures', 'server-child.mjs');
/** Generous: a loaded machine restarts a server in seconds, and nothing here measures time. */
const budget = 90_000 + kills * 20_000 + taskCount * 40;

beforeAll(ensureBuilt, 120_000);

let child: ChildHandle | undefined;
afterEach(async () => {
  await child?.kill9();
});

/** One HTTP exchange; undefined when the connection failed (the server is down or died mid-answer). */
async function send(url: string, path: string, body: unknown): Promise<any> {
  try {
    const response = await fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (response.status >= 500) return undefined;
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Requests repeated after a failed exchange, by route: what the kills cost the clients. */
const repeats: Record<string, number> = {};

/** Repeats the very same request until it is answered: what the retry contract asks of clients. */
async function until(url: () => string, path: string, body: unknown): Promise<any> {
  for (let tries = 0; ; tries++) {
    const reply = await send(url(), path, body);
    if (reply !== undefined) {
      if (tries > 0) {
        const route = path.replace(/[0-9a-f]{64}/, ':key');
        repeats[route] = (repeats[route] ?? 0) + 1;
      }
      return reply;
    }
    await sleep(20 + Math.random() * 50);
  }
}

describe('chaos: kill -9 of the server during a sweep', () => {
  it(
    `loses nothing, runs each task once and charges no undelivered attempt (${kills} kills)`,
    async () => {
      const deadline = Date.now() + budget - 30_000;
      const dir = makeTempDir('bottle-chaos-');
      const db = join(dir.path, 'bottle.db');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const start = async () => {
        child = spawnChild(process.execPath, [fixture, db, String(port), String(LEASE_MS)]);
        await child.waitForOutput(/listening/);
      };
      await start();

      const specs = Array.from({ length: taskCount }, (_, i) => ({ task: 'chaos.task', params: { i } }));
      const acknowledged = new Set<string>();
      /** `key#attempt` of every lease a worker received. */
      const received = new Set<string>();
      const accepted = new Map<string, number>();
      const refused: string[] = [];
      let finished = false;

      const submitter = async () => {
        for (let at = 0; at < specs.length; at += 50) {
          const tasks = specs.slice(at, at + 50);
          const reply = await until(() => url, '/v1/tasks', { tasks, scan: 'chaos' });
          expect(reply.status).toBe(200);
          for (const t of tasks) acknowledged.add(taskKey(t.task, t.params));
        }
      };
      const worker = async (workerId: string) => {
        while (!finished) {
          // One id per claim, repeated unchanged until the claim is answered.
          const claim = { workerId, host: 'h', max: 5, waitMs: 50, claimId: randomUUID() };
          const reply = await until(() => url, '/v1/claim', claim);
          expect(reply.status, JSON.stringify(reply.body)).toBe(200);
          const tasks = reply.body.tasks as { key: string; leaseToken: string; attempt: number }[];
          for (const t of tasks) received.add(`${t.key}#${t.attempt}`);
          if (tasks.length === 0) continue;
          await sleep(Math.random() * 10);
          const reports = tasks.map((t) => ({
            outcome: 'done',
            key: t.key,
            leaseToken: t.leaseToken,
            result: 1,
          }));
          const answer = await until(() => url, '/v1/report', { workerId, reports });
          for (const r of answer.body.results as { key: string; ok: boolean }[]) {
            if (r.ok) accepted.set(r.key, (accepted.get(r.key) ?? 0) + 1);
            else refused.push(JSON.stringify(r));
          }
        }
      };
      const killer = async () => {
        for (let k = 0; k < kills; k++) {
          await sleep(150 + Math.random() * 600);
          await child?.kill9();
          await sleep(Math.random() * 100);
          await start();
        }
      };

      const sweep = Promise.all([submitter(), ...Array.from({ length: WORKERS }, (_, i) => worker(`w${i}`))]);
      // A failed assertion in the sweep ends the test at once, instead of waiting for the end.
      const broken = sweep.then(() => new Promise<never>(() => {}));
      await Promise.race([killer(), broken]);
      // After the last kill, the sweep runs to its end.
      const allDone = async () => {
        for (;;) {
          const scan = await until(() => url, '/v1/scans/chaos', undefined);
          if (scan.status === 200 && scan.body.counts.done === taskCount) return;
          if (Date.now() > deadline) {
            throw new Error(
              `the sweep did not end: ${JSON.stringify(scan.body)}, ${acknowledged.size} acknowledged, ` +
                `${received.size} leases received, ${accepted.size} accepted, refused ${refused.length}`,
            );
          }
          await sleep(100);
        }
      };
      await Promise.race([allDone(), broken]);
      finished = true;
      await sweep;

      expect(refused, 'done reports refused').toEqual([]);
      expect(acknowledged.size).toBe(taskCount);
      let attemptsSeen = 0;
      for (const key of acknowledged) {
        const detail = await until(() => url, `/v1/tasks/${key}`, undefined);
        expect(detail.status, `acknowledged task ${key} lost`).toBe(200);
        expect(detail.body.task.state).toBe('done');
        const attempts = detail.body.attempts as { attempt: number; outcome: string }[];
        expect(
          attempts.filter((a) => a.outcome === 'done'),
          `${key} done more than once`,
        ).toHaveLength(1);
        for (const a of attempts) {
          attemptsSeen++;
          expect(
            received.has(`${key}#${a.attempt}`),
            `${key} attempt ${a.attempt} charged but never received`,
          ).toBe(true);
        }
        // Accepted once, or again on a resend of the same report: never for another lease.
        expect(accepted.get(key), key).toBeGreaterThanOrEqual(1);
      }
      expect(attemptsSeen).toBe(taskCount);
      if (process.env['BOTTLE_CHAOS_KILLS']) {
        const summary = { kills, tasks: taskCount, workers: WORKERS, repeatedRequests: repeats };
        process.stdout.write(`chaos: ${JSON.stringify(summary)}\n`);
      }
      await child?.kill9();
      dir.remove();
    },
    budget,
  );
});
