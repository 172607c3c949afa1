/** Log tails per attempt, `GET /v1/tasks/:key/logs`, and key prefixes in the operators' routes. */
import { LOG_TAIL_MAX } from '@bottle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, type TestServer, worker } from './helpers.js';
import { contractStores } from './stores.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

async function claimOne() {
  const { body } = await t.call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 });
  return body.tasks[0] as { key: string; leaseToken: string };
}

const stores = await contractStores();

describe.each(stores)('log tails ($name)', ({ startServer }) => {
  it('are kept per attempt and served, the latest by default', async () => {
    t = await startServer({ retryBackoffMs: 0, maxAttempts: 3 });
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const first = await claimOne();
    const failed = await t.call('POST', '/v1/report', {
      workerId: worker.workerId,
      reports: [
        {
          outcome: 'failed',
          key: first.key,
          leaseToken: first.leaseToken,
          error: 'boom',
          retryable: true,
          logs: { stdout: 'step 1\n', stderr: 'Traceback: boom\n' },
        },
      ],
    });
    expect(failed.body.results[0].ok).toBe(true);
    const second = await claimOne();
    expect(second.key).toBe(first.key);
    // Still running: the new attempt has no tails yet.
    expect((await t.call('GET', `/v1/tasks/${first.key}/logs`)).body).toEqual({
      key: first.key,
      attempt: 2,
      stdout: '',
      stderr: '',
    });
    await t.call('POST', `/v1/tasks/${first.key}/complete`, {
      leaseToken: second.leaseToken,
      result: 1,
      logs: { stdout: 'all good\n' },
    });
    expect((await t.call('GET', `/v1/tasks/${first.key}/logs`)).body).toMatchObject({
      attempt: 2,
      stdout: 'all good\n',
      stderr: '',
    });
    expect((await t.call('GET', `/v1/tasks/${first.key.slice(0, 8)}/logs?attempt=1`)).body).toMatchObject({
      key: first.key,
      attempt: 1,
      stdout: 'step 1\n',
      stderr: 'Traceback: boom\n',
    });
    const missing = await t.call('GET', `/v1/tasks/${first.key}/logs?attempt=3`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/attempts are 1\.\.2/);
  });

  it('are refused past 8192 characters per stream, and the report changes nothing', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    const task = await claimOne();
    const big = await t.call('POST', `/v1/tasks/${task.key}/complete`, {
      leaseToken: task.leaseToken,
      logs: { stderr: 'x'.repeat(LOG_TAIL_MAX + 1) },
    });
    expect(big.status).toBe(400);
    expect(big.body.error.code).toBe('ERR_BAD_REQUEST');
    expect((await t.call('GET', `/v1/tasks/${task.key}`)).body.task.state).toBe('running');
    const exact = await t.call('POST', `/v1/tasks/${task.key}/complete`, {
      leaseToken: task.leaseToken,
      logs: { stderr: 'y'.repeat(LOG_TAIL_MAX) },
    });
    expect(exact.status).toBe(200);
    expect((await t.call('GET', `/v1/tasks/${task.key}/logs`)).body.stderr).toHaveLength(LOG_TAIL_MAX);
  });
});

describe.each(stores)('key prefixes ($name)', ({ startServer, query }) => {
  it('resolve a unique prefix of 8+ characters, refuse an ambiguous or short one', async () => {
    t = await startServer();
    await t.call('POST', '/v1/tasks', { tasks: specs(1) });
    // Two keys that share a prefix: no search for parameters whose keys do.
    for (const [key, hash] of [
      [`abcdef01${'0'.repeat(56)}`, '1'.repeat(64)],
      [`abcdef01${'1'.repeat(56)}`, '2'.repeat(64)],
    ]) {
      await query(
        t.server.store,
        `INSERT INTO tasks (key, task, params, params_hash, scan, state, max_attempts, created_at, updated_at, not_before)
         VALUES (?, 't', '{}', ?, 'default', 'queued', 3, 0, 0, 0)`,
        [key, hash],
      );
    }
    const ambiguous = await t.call('GET', '/v1/tasks/abcdef01');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.error.code).toBe('ERR_AMBIGUOUS_KEY');
    const unique = await t.call('POST', `/v1/tasks/abcdef011/cancel`);
    expect(unique.status).toBe(200);
    expect(unique.body).toMatchObject({ key: `abcdef01${'1'.repeat(56)}`, state: 'cancelled' });
    expect((await t.call('POST', `/v1/tasks/abcdef010/rerun`)).status).toBe(409); // queued: nothing to rerun
    expect((await t.call('GET', '/v1/tasks/abcdef0')).status).toBe(400);
    expect((await t.call('GET', '/v1/tasks/abcdef02')).body.error.code).toBe('ERR_NOT_FOUND');
  });
});
