import { ManualClock, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const stores = await contractStores();

/** The monitor's subscribers besides scan waits (the server's own, e.g. the reduce watch), per server. */
const baseline = new WeakMap<TestServer, number>();

/** Starts a server and remembers how many monitor subscribers it has before any scan wait. */
const started = (server: TestServer) => {
  baseline.set(server, server.server.router.queue.monitor.subscribers);
  return server;
};

/** Resolves once `n` scan waits are held open on the server's progress monitor. */
const untilWaiting = async (server: TestServer, n: number) => {
  const base = baseline.get(server) ?? 0;
  await waitFor(() => server.server.router.queue.monitor.subscribers === base + n, {
    what: `${n} scan waits`,
  });
};

const claimAll = async (server: TestServer, max: number) =>
  (await server.call('POST', '/v1/claim', { ...worker, max, waitMs: 0 })).body.tasks as Array<{
    key: string;
    leaseToken: string;
  }>;

describe.each(stores)('GET /v1/scans/:name/wait ($name)', ({ startServer }) => {
  it('answers 404 for an unknown scan, and at once without waitMs', async () => {
    t = started(await startServer());
    const unknown = await t.call('GET', '/v1/scans/nope/wait?waitMs=60000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ERR_NOT_FOUND');
    await t.call('POST', '/v1/tasks', { scan: 's', tasks: specs(1) });
    const now = await t.call('GET', '/v1/scans/s/wait');
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ ended: false, scan: { name: 's', counts: { queued: 1 } } });
    const bad = await t.call('GET', '/v1/scans/s/wait?waitMs=-1');
    expect(bad.status).toBe(400);
  });

  it('holds the request until the last task ends, then answers the final counts', async () => {
    const clock = new ManualClock();
    t = started(await startServer({ clock, maxAttempts: 1 }));
    await t.call('POST', '/v1/tasks', { scan: 's', tasks: specs(2) });
    const [a, b] = await claimAll(t, 2);
    const waiting = t.call('GET', '/v1/scans/s/wait?waitMs=60000');
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    await untilWaiting(t, 1);
    await t.call('POST', `/v1/tasks/${a?.key}/complete`, { leaseToken: a?.leaseToken, result: 1 });
    // The monitor's next read sees one task still running: the wait goes on.
    clock.advance(1_000);
    await t.server.router.queue.monitor.refresh();
    expect(answered).toBe(false);
    await t.call('POST', `/v1/tasks/${b?.key}/fail`, {
      leaseToken: b?.leaseToken,
      error: 'e',
      retryable: false,
    });
    clock.advance(1_000);
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ended: true, scan: { counts: { done: 1, failed: 1, running: 0 } } });
    await untilWaiting(t, 0);
  });

  it('answers ended: false when waitMs runs out first', async () => {
    const clock = new ManualClock();
    t = started(await startServer({ clock }));
    await t.call('POST', '/v1/tasks', { scan: 's', tasks: specs(1) });
    const waiting = t.call('GET', '/v1/scans/s/wait?waitMs=5000');
    await untilWaiting(t, 1);
    clock.advance(5_000);
    const reply = await waiting;
    expect(reply.body).toMatchObject({ ended: false, scan: { counts: { queued: 1 } } });
    await untilWaiting(t, 0);
  });

  it('answers an ended scan at once, and a rerun starts the wait again', async () => {
    const clock = new ManualClock();
    t = started(await startServer({ clock, maxAttempts: 1 }));
    await t.call('POST', '/v1/tasks', { scan: 's', tasks: specs(1) });
    const [a] = await claimAll(t, 1);
    await t.call('POST', `/v1/tasks/${a?.key}/fail`, {
      leaseToken: a?.leaseToken,
      error: 'e',
      retryable: false,
    });
    expect((await t.call('GET', '/v1/scans/s/wait?waitMs=60000')).body.ended).toBe(true);
    await t.call('POST', '/v1/scans/s/rerun', {});
    const waiting = t.call('GET', '/v1/scans/s/wait?waitMs=1000');
    await untilWaiting(t, 1);
    clock.advance(1_000);
    const again = await waiting;
    expect(again.body).toMatchObject({ ended: false, scan: { counts: { queued: 1, failed: 0 } } });
  });
});
