import { join } from 'node:path';
import { taskKey } from '@bottle/protocol';
import { type ChildHandle, freePort, makeTempDir, spawnChild, waitFor } from '@bottle/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir } from './built.js';
import { call } from './helpers.js';

const fixture = join(packageDir, 'test', 'fixtures', 'server-child.mjs');

beforeAll(ensureBuilt, 120_000);

const children: ChildHandle[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill9();
});

async function startChild(db: string, leaseMs: number): Promise<string> {
  const port = await freePort();
  const child = spawnChild(process.execPath, [fixture, db, String(port), String(leaseMs)]);
  children.push(child);
  const [, url] = (await child.waitForOutput(/listening (\S+)/)) as RegExpMatchArray;
  return url!;
}

describe('crash safety', () => {
  it('keeps every acknowledged submit and completion across kill -9, and hands out the leases held at the crash again', async () => {
    const dir = makeTempDir('bottle-crash-');
    const db = join(dir.path, 'bottle.db');
    const leaseMs = 1_000;
    let url = await startChild(db, leaseMs);

    const submitted = new Set<string>();
    const completed = new Set<string>();
    const held = new Set<string>();
    let crashed = false;

    const submitter = async () => {
      for (let batch = 0; !crashed; batch++) {
        const tasks = Array.from({ length: 20 }, (_, i) => ({
          task: 'crash.task',
          params: { n: batch * 20 + i },
        }));
        try {
          const reply = await call(url, 'POST', '/v1/tasks', { tasks, scan: 'crash' });
          if (reply.status === 200) for (const t of tasks) submitted.add(taskKey(t.task, t.params));
        } catch {
          return; // the server died mid-request: this batch was not acknowledged
        }
      }
    };
    const worker = async (workerId: string) => {
      while (!crashed) {
        try {
          const claim = await call(url, 'POST', '/v1/claim', { workerId, host: 'h', max: 10, waitMs: 100 });
          const tasks: { key: string; leaseToken: string; params: { n: number } }[] = claim.body.tasks;
          // Every third task is held and never reported, as by a worker still running it.
          for (const t of tasks.filter((t) => t.params.n % 3 === 0)) held.add(t.key);
          const reports = tasks
            .filter((t) => t.params.n % 3 !== 0)
            .map((t) => ({
              outcome: 'done' as const,
              key: t.key,
              leaseToken: t.leaseToken,
              result: t.params.n,
            }));
          if (reports.length === 0) continue;
          const reply = await call(url, 'POST', '/v1/report', { workerId, reports });
          for (const result of reply.body.results) if (result.ok) completed.add(result.key);
        } catch {
          return;
        }
      }
    };
    const stream = Promise.all([submitter(), submitter(), worker('a'), worker('b')]);

    await waitFor(() => completed.size >= 200 && held.size >= 50, { what: 'a stream of acknowledged work' });
    await children[0]!.kill9();
    crashed = true;
    await stream;
    const heldAtCrash = new Set([...held].filter((key) => !completed.has(key)));
    expect(submitted.size).toBeGreaterThan(0);

    url = await startChild(db, leaseMs);
    const stateOf = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page: { body: { tasks: { key: string; state: string }[]; nextCursor: string | null } } =
        await call(url, 'GET', `/v1/tasks?scan=crash&limit=10000${cursor ? `&cursor=${cursor}` : ''}`);
      for (const t of page.body.tasks) stateOf.set(t.key, t.state);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(
      [...submitted].filter((key) => !stateOf.has(key)),
      'acknowledged submits missing',
    ).toEqual([]);
    expect(
      [...completed].filter((key) => stateOf.get(key) !== 'done'),
      'acknowledged completions lost',
    ).toEqual([]);

    // The leases held at the crash expire and are handed out again; finished tasks never are. On a
    // loaded machine a held task's 1 s lease may expire again and again before the crash: once its
    // attempts are used up it is `failed`, and rightly never handed out again.
    const reissued = new Set<string>();
    const settled = async (key: string) =>
      reissued.has(key) || (await call(url, 'GET', `/v1/tasks/${key}`)).body.task.state === 'failed';
    await waitFor(
      async () => {
        const claim = await call(url, 'POST', '/v1/claim', {
          workerId: 'c',
          host: 'h',
          max: 1000,
          waitMs: 500,
        });
        for (const t of claim.body.tasks as { key: string }[]) reissued.add(t.key);
        return (await Promise.all([...heldAtCrash].map(settled))).every(Boolean);
      },
      { what: 'the held leases to be handed out again', timeoutMs: 20_000 },
    );
    expect([...reissued].filter((key) => completed.has(key))).toEqual([]);
    expect([...heldAtCrash].some((key) => reissued.has(key))).toBe(true);
    const scan = (await call(url, 'GET', '/v1/scans/crash')).body;
    expect(scan.lostAttempts).toBeGreaterThanOrEqual(heldAtCrash.size);
    dir.remove();
  });
});
