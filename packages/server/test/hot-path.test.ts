import { afterEach, describe, expect, it } from 'vitest';
import { specs, startTestServer, type TestServer, worker } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the hot path of claims and reports', () => {
  it('answers other spellings of the two paths as the routes do, and OPTIONS with POST', async () => {
    server = await startTestServer({ token: 'tok', metrics: true });
    const call = server.call;
    const auth = { token: 'tok' };
    await call('POST', '/v1/tasks', { tasks: specs(3) }, auth);
    const claims = [];
    for (const path of ['/v1/claim', '/v1/claim/', '/V1/Claim?x=1']) {
      const reply = await call('POST', path, { ...worker, max: 1, waitMs: 0 }, auth);
      expect(reply.status, path).toBe(200);
      expect(reply.body.tasks).toHaveLength(1);
      claims.push(reply.body.tasks[0]);
    }
    for (const [i, path] of ['/v1/report', '/v1/report/', '/V1/REPORT?x=1'].entries()) {
      const { key, leaseToken } = claims[i];
      const reply = await call(
        'POST',
        path,
        { workerId: 'w1', reports: [{ outcome: 'done', key, leaseToken }] },
        auth,
      );
      expect(reply, path).toEqual({ status: 200, body: { results: [{ key, ok: true }] } });
    }
    // The checks every route gets come first: the token, then the body's.
    expect((await call('POST', '/v1/claim', { ...worker, max: 1, waitMs: 0 })).body.error.code).toBe(
      'ERR_UNAUTHORIZED',
    );
    const bad = await call('POST', '/v1/report', { workerId: 'w1', reports: [{ outcome: 'lost' }] }, auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(bad.body.error.message).toMatch(/^reports\[0\]/);
    const notJson = await call('POST', '/v1/claim', undefined, {
      ...auth,
      raw: '{',
      contentType: 'application/json',
    });
    expect(notJson.body.error.code).toBe('ERR_BAD_REQUEST');
    const options = await call('OPTIONS', '/v1/claim', undefined, auth);
    expect(options.body.methods).toContain('POST');
    // The metrics name each request by its route, as for every other route.
    const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer tok' } });
    const text = await metrics.text();
    expect(text).toContain('route="/v1/claim",status="200"');
    expect(text).toContain('route="/v1/report",status="200"');
  });
});
