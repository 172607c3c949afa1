import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const postForm = (fields: Record<string, string>) =>
  t.call('POST', '/tasks', undefined, {
    raw: new URLSearchParams(fields).toString(),
    contentType: 'application/x-www-form-urlencoded',
  });

const stores = await contractStores();

describe.each(stores)('legacy routes of the 2013 worker ($name)', ({ startServer }) => {
  beforeEach(async () => {
    t = await startServer({ leaseMs: 300, heartbeatMs: 100, expiryCheckMs: 50 });
  });

  it('takes tasks as a form field and hands them out as {params, class_path}, once', async () => {
    const posted = await postForm({
      data: JSON.stringify([
        { params: { a: 1 }, class_path: 'sims.Run' },
        { params: { a: 2 }, class_path: 'sims.Run' },
        { b: 3 },
      ]),
    });
    expect(posted).toEqual({ status: 200, body: { created: 3, existing: 0, requeued: 0 } });
    expect((await t.call('GET', '/tasks')).body).toEqual([
      { params: { a: 1 }, class_path: 'sims.Run' },
      { params: { a: 2 }, class_path: 'sims.Run' },
      { params: { b: 3 }, class_path: 'legacy' },
    ]);

    const first = await t.call('GET', '/task');
    expect(first.body).toEqual({ params: { a: 1 }, class_path: 'sims.Run' });
    expect((await t.call('GET', '/tasks')).body).toHaveLength(2);
    expect((await t.call('GET', '/alltasks')).body).toHaveLength(3);

    const listed = (await t.call('GET', '/v1/tasks?state=delivered')).body.tasks;
    expect(listed).toEqual([
      expect.objectContaining({ task: 'sims.Run', params: { a: 1 }, state: 'delivered' }),
    ]);
    const detail = (await t.call('GET', `/v1/tasks/${listed[0].key}`)).body;
    expect(detail.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'delivered',
        workerId: expect.stringMatching(/^legacy@/),
      }),
    ]);

    // Past several lease lengths, a delivered task is not handed out again.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await t.call('GET', '/task')).body).toEqual({ params: { a: 2 }, class_path: 'sims.Run' });
    expect((await t.call('GET', '/task')).body).toEqual({ params: { b: 3 }, class_path: 'legacy' });
    expect((await t.call('GET', '/task')).body).toEqual([]);

    // And it can be rerun like any other.
    expect((await t.call('POST', `/v1/tasks/${listed[0].key}/rerun`)).body.state).toBe('queued');
    expect((await t.call('GET', '/task')).body).toEqual({ params: { a: 1 }, class_path: 'sims.Run' });
  });

  it('refuses a form without a JSON list in data with 400', async () => {
    const reply = await postForm({ data: 'not json' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/^data: /);
    expect((await postForm({ other: '1' })).status).toBe(400);
    expect((await t.call('GET', '/alltasks')).body).toEqual([]);
  });
});
