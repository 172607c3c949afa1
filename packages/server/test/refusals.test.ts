import { createBottleRouter, SqliteStore, startBottleServer } from '@bottle/server';
import { afterEach, describe, expect, it } from 'vitest';
import { call, quietLogger, specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const stores = await contractStores();

describe.each(stores)('refusals ($name)', ({ startServer }) => {
  it('refuses a completion from a stale lease with 409 and changes nothing', async () => {
    t = await startServer({ leaseMs: 300, heartbeatMs: 100, expiryCheckMs: 50 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = (await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.tasks[0];
    // The lease expires and the task goes to another worker.
    const second = (
      await t.call('POST', '/v1/claim', { workerId: 'w2', host: 'host-b', max: 1, waitMs: 5_000 })
    ).body.tasks[0];
    expect(second.key).toBe(first.key);
    const refused = await t.call('POST', `/v1/tasks/${first.key}/complete`, { leaseToken: first.leaseToken });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ERR_STALE_LEASE');
    const detail = (await t.call('GET', `/v1/tasks/${first.key}`)).body;
    expect(detail.task).toMatchObject({ state: 'running', workerId: 'w2', result: null });
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'running']);
    // A foreign worker naming itself cannot use the holder's lease either.
    const foreign = await t.call('POST', `/v1/tasks/${first.key}/complete`, {
      leaseToken: second.leaseToken,
      workerId: 'w1',
    });
    expect(foreign.status).toBe(409);
    expect(
      (await t.call('POST', `/v1/tasks/${first.key}/complete`, { leaseToken: second.leaseToken })).status,
    ).toBe(200);
  });

  it('answers 400 naming the field for a body that does not match the schema, and changes nothing', async () => {
    t = await startServer();
    const bad = await t.call('POST', '/v1/tasks', {
      tasks: [...specs(3), { task: 'x', params: 'not an object' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(bad.body.error.message).toMatch(/^tasks\[3\]\.params: /);
    expect((await t.call('GET', '/v1/tasks')).body.tasks).toEqual([]);

    const extra = await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0, colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/colour/);

    const notJson = await t.call('POST', '/v1/tasks', undefined, { raw: '{"tasks": [' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);

    const noBody = await t.call('POST', '/v1/heartbeat');
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.message).toMatch(/^body: /);

    const badKey = await t.call('GET', '/v1/tasks/xyz');
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.message).toMatch(/^key: /);

    const badQuery = await t.call('GET', '/v1/tasks?state=sleeping');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.message).toMatch(/^state: /);
  });

  it('answers 404 JSON for unknown routes, tasks and scans', async () => {
    t = await startServer();
    const route = await t.call('GET', '/v1/nothing');
    expect(route).toEqual({
      status: 404,
      body: { error: { code: 'ERR_NOT_FOUND', message: expect.any(String) } },
    });
    expect((await t.call('GET', '/elsewhere')).status).toBe(404);
    expect((await t.call('GET', `/v1/tasks/${'a'.repeat(64)}`)).body.error.code).toBe('ERR_NOT_FOUND');
    expect((await t.call('GET', '/v1/scans/none')).status).toBe(404);
    expect((await t.call('POST', '/v1/scans/none/cancel', {})).status).toBe(404);
  });

  it('answers 413 JSON for a body over the limit', async () => {
    t = await startServer({ bodyLimit: '1kb' });
    const reply = await t.call('POST', '/v1/tasks', { tasks: specs(100) });
    expect(reply.status).toBe(413);
    expect(reply.body.error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect((await t.call('GET', '/v1/tasks')).body.tasks).toEqual([]);
  });

  it('needs the bearer token on every route, legacy and health included', async () => {
    t = await startServer({ token: 's3cret' });
    for (const [method, path] of [
      ['GET', '/healthz'],
      ['GET', '/v1/tasks'],
      ['POST', '/v1/claim'],
      ['GET', '/task'],
      ['GET', '/alltasks'],
      ['GET', '/upload'],
      ['POST', '/tasks'],
      ['GET', '/v1/unknown'],
      ['GET', '/unknown'],
    ] as const) {
      const missing = await t.call(method, path);
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.body.error.code).toBe('ERR_UNAUTHORIZED');
      expect((await t.call(method, path, undefined, { token: 'wrong' })).status).toBe(401);
    }
    expect((await t.call('GET', '/healthz', undefined, { token: 's3cret' })).status).toBe(200);
    const submit = await t.call('POST', '/v1/tasks', { tasks: specs(1) }, { token: 's3cret' });
    expect(submit.body.created).toBe(1);
  });

  it('answers 500 ERR_INTERNAL without leaking the error for unexpected failures', async () => {
    const store = new SqliteStore(':memory:');
    const errors: string[] = [];
    store.listScans = async () => {
      throw new Error('secret internal detail');
    };
    const server = await startBottleServer({
      port: 0,
      store,
      logger: { ...quietLogger, error: (m) => errors.push(m) },
    });
    try {
      const reply = await call(server.url, 'GET', '/v1/scans');
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        error: { code: 'ERR_INTERNAL', message: 'internal error; see the server log' },
      });
      expect(errors.join('\n')).toMatch(/secret internal detail/);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('rejects bad options with a TypeError naming the option', async () => {
    const store = new SqliteStore(':memory:');
    try {
      // @ts-expect-error store is required
      expect(() => createBottleRouter({})).toThrow(/'store'/);
      // @ts-expect-error unknown key
      expect(() => createBottleRouter({ store, leaseMS: 5 })).toThrow(/unknown option 'leaseMS'/);
      // The queue policy is the store's: the router refuses it, the store checks it.
      // @ts-expect-error unknown key
      expect(() => createBottleRouter({ store, leaseMs: 100 })).toThrow(/unknown option 'leaseMs'/);
      expect(() => new SqliteStore(':memory:', { policy: { leaseMs: -1 } })).toThrow(/'leaseMs'/);
      // @ts-expect-error unknown key
      expect(() => new SqliteStore(':memory:', { policy: { lease: 1 } })).toThrow(
        /unknown policy option 'lease'/,
      );
      expect(() => createBottleRouter({ store, heartbeatMs: 30_000 })).toThrow(/'heartbeatMs'/);
      await expect(startBottleServer({ store, maxAttempts: 2 })).rejects.toThrow(/set them on the store/);
      // Gathering needs a store that refuses a done without its upload, and only then.
      expect(() => createBottleRouter({ store, gatherDir: '/tmp/x' })).toThrow(/requireUpload/);
      const gathering = new SqliteStore(':memory:', { policy: { requireUpload: true } });
      expect(() => createBottleRouter({ store: gathering })).toThrow(/'gatherDir'/);
      await gathering.close();
      // @ts-expect-error unknown key
      await expect(startBottleServer({ store, prot: 1 })).rejects.toThrow(/unknown option 'prot'/);
      // @ts-expect-error unknown key
      expect(() => new SqliteStore(':memory:', { wal: true })).toThrow(/unknown option 'wal'/);
    } finally {
      await store.close();
    }
  });

  it('warns loudly when listening beyond loopback without a token', async () => {
    const warnings: string[] = [];
    const store = new SqliteStore(':memory:');
    const server = await startBottleServer({
      port: 0,
      host: '0.0.0.0',
      store,
      logger: { ...quietLogger, warn: (m) => warnings.push(m) },
    });
    await server.close();
    await store.close();
    expect(warnings.join('\n')).toMatch(/WITHOUT A TOKEN/);
  });
});
