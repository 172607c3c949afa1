import { describe, expect, it } from 'vitest';
import { hashParams, taskKey } from './hash.js';
import {
  claimRequestSchema,
  claimResponseSchema,
  errorBodySchema,
  heartbeatResponseSchema,
  reportRequestSchema,
  reportResponseSchema,
  reportSchema,
  submitRequestSchema,
} from './schemas.js';

const key = taskKey('examples/dummy.scan', { a: 1 });

describe('schemas', () => {
  it('accept a submit request and refuse one with an extra key', () => {
    const ok = { tasks: [{ task: 'examples/dummy.scan', params: { a: 1 } }], scan: 'demo' };
    expect(submitRequestSchema.safeParse(ok).success).toBe(true);
    expect(submitRequestSchema.safeParse({ ...ok, urgency: 1 }).success).toBe(false);
    expect(submitRequestSchema.safeParse({ tasks: [{ ...ok.tasks[0], extra: true }] }).success).toBe(false);
    expect(submitRequestSchema.safeParse({ ...ok, priority: 1, reduce: 'm.reduce' }).success).toBe(true);
    expect(submitRequestSchema.safeParse({ ...ok, priority: 0.5 }).success).toBe(false);
    expect(submitRequestSchema.safeParse({ tasks: [] }).success).toBe(false);
  });

  it("accept a scan's objective as one of minimize or maximize, a field named", () => {
    const ok = { tasks: [{ task: 'examples/dummy.scan', params: { a: 1 } }], scan: 'demo' };
    const parse = (objective: unknown) => submitRequestSchema.safeParse({ ...ok, objective }).success;
    expect(parse({ minimize: 'metrics.loss' })).toBe(true);
    expect(parse({ maximize: 'acc' })).toBe(true);
    for (const bad of [{ minimize: '' }, { minimize: 'a', maximize: 'b' }, { lowest: 'a' }, 'loss', null])
      expect(parse(bad), JSON.stringify(bad)).toBe(false);
    expect(parse({ minimize: 'x'.repeat(257) })).toBe(false);
  });

  it('refuse a claim for 0 tasks or a negative wait', () => {
    const claim = { workerId: 'w1', host: 'box', max: 4, waitMs: 1000 };
    expect(claimRequestSchema.safeParse(claim).success).toBe(true);
    expect(claimRequestSchema.safeParse({ ...claim, max: 0 }).success).toBe(false);
    expect(claimRequestSchema.safeParse({ ...claim, waitMs: -1 }).success).toBe(false);
  });

  it('tell reports apart by outcome', () => {
    const done = reportSchema.parse({ outcome: 'done', key, leaseToken: 't', result: { loss: 0.5 } });
    expect(done.outcome).toBe('done');
    const failed = reportSchema.parse({
      outcome: 'failed',
      key,
      leaseToken: 't',
      error: 'boom',
      retryable: true,
    });
    expect(failed.outcome === 'failed' && failed.retryable).toBe(true);
    // A failure needs its error text; a release carries no result.
    expect(
      reportSchema.safeParse({ outcome: 'failed', key, leaseToken: 't', retryable: false }).success,
    ).toBe(false);
    expect(reportSchema.safeParse({ outcome: 'released', key, leaseToken: 't', result: 1 }).success).toBe(
      false,
    );
    expect(reportSchema.safeParse({ outcome: 'lost', key, leaseToken: 't' }).success).toBe(false);
    expect(reportRequestSchema.safeParse({ workerId: 'w', reports: [done, failed] }).success).toBe(true);
  });

  it('require keys to be SHA-256 hex digests', () => {
    expect(
      reportSchema.safeParse({ outcome: 'released', key: hashParams({ a: 1 }), leaseToken: 't' }).success,
    ).toBe(true);
    expect(reportSchema.safeParse({ outcome: 'released', key: 'ABC', leaseToken: 't' }).success).toBe(false);
    expect(
      heartbeatResponseSchema.safeParse({ extended: [key], cancelled: [], lost: [], leaseExpiresAt: 1 })
        .success,
    ).toBe(true);
  });

  it("accept any ERR_* code in an error body or a report result, so a newer server's codes pass", () => {
    expect(errorBodySchema.safeParse({ error: { code: 'ERR_STALE_LEASE', message: 'x' } }).success).toBe(
      true,
    );
    expect(errorBodySchema.parse({ error: { code: 'ERR_NEWER_RULE', message: 'x' } }).error.code).toBe(
      'ERR_NEWER_RULE',
    );
    const refused = { key, ok: false, error: { code: 'ERR_NEWER_RULE', message: 'not now' } };
    expect(reportResponseSchema.parse({ results: [refused] }).results).toEqual([refused]);
    for (const code of ['NOPE', 'ERR_', 'err_lower', 'ERR_A B', 42]) {
      expect(errorBodySchema.safeParse({ error: { code, message: 'x' } }).success, String(code)).toBe(false);
    }
  });

  it('let responses carry fields a newer server adds, while requests refuse unknown keys', () => {
    const answer = claimResponseSchema.parse({ tasks: [], leaseMs: 1000, heartbeatMs: 300, futureField: 1 });
    expect(answer).toEqual({ tasks: [], leaseMs: 1000, heartbeatMs: 300 });
    expect(
      claimRequestSchema.safeParse({ workerId: 'w', host: 'h', max: 1, waitMs: 0, futureField: 1 }).success,
    ).toBe(false);
  });
});
