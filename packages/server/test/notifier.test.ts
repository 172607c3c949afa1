import type { ClaimRequest, SubmitRequest } from '@bottle/protocol';
import { SqliteStore } from '@bottle/server';
import { ManualClock, waitFor } from '@bottle/test-utils';
import { describe, expect, it } from 'vitest';
import { ClaimNotifier } from '../src/queue/notifier.js';
import { specs } from './helpers.js';

/** A SqliteStore whose claims (alone or after a submit), once `gate.closed` is set, answer only when the test opens the gate. */
function gatedClaims(store: SqliteStore, gate: { closed?: Promise<void> }): SqliteStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'claim') {
        return async (requests: ClaimRequest[]) => {
          const served = await target.claim(requests);
          await gate.closed;
          return served;
        };
      }
      if (name === 'submitAndClaim') {
        return async (request: SubmitRequest, claims: ClaimRequest[]) => {
          const answer = await target.submitAndClaim(request, claims);
          await gate.closed;
          return answer;
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('ClaimNotifier', () => {
  it('wakes a waiting claim for a task whose backoff ended between its claim and its look at the backoffs', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore(':memory:', { clock, policy: { retryBackoffMs: 50 } });
    await store.submit({ tasks: specs(1) });
    const [[task] = []] = await store.claim([{ workerId: 'w', host: 'h', max: 1, waitMs: 0 }]);
    await store.report('w', [
      { outcome: 'failed', key: task!.key, leaseToken: task!.leaseToken, error: 'flaky', retryable: true },
    ]);
    // The claim finds the task backed off; its backoff ends before the notifier reads when it ends.
    let moved = false;
    const slowClaims = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'claim') {
          return async (requests: ClaimRequest[]) => {
            const served = await target.claim(requests);
            if (!moved) {
              moved = true;
              clock.advance(60);
            }
            return served;
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const notifier = new ClaimNotifier(slowClaims, clock, () => {});
    const waiting = notifier.claim(
      { workerId: 'w2', host: 'h', max: 1, waitMs: 10_000 },
      10_000,
      new AbortController().signal,
    );
    await waitFor(() => notifier.waiting === 1);
    clock.advance(0);
    await waitFor(() => notifier.waiting === 0);
    clock.advance(10_000);
    expect((await waiting).map((t) => t.key)).toEqual([task!.key]);
    notifier.close();
    await store.close();
  });

  it('gives back, uncharged, the tasks leased for a claim that stopped waiting meanwhile', async () => {
    const store = new SqliteStore(':memory:');
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const gate: { closed?: Promise<void> } = {};
    const notifier = new ClaimNotifier(gatedClaims(store, gate), clock, (error) => errors.push(error));
    const request = { workerId: 'gone', host: 'h', max: 2, waitMs: 200 };
    // The claim finds nothing and waits 200 ms...
    const waiting = notifier.claim(request, 200, new AbortController().signal);
    await waitFor(() => notifier.waiting === 1);
    // ...a submit serves it, but the store answers only after the claim has given up.
    let open = () => {};
    gate.closed = new Promise<void>((resolve) => {
      open = resolve;
    });
    const submitted = notifier.submit({ tasks: specs(2) });
    await waitFor(async () => (await store.listTasks({ state: 'running', limit: 10 })).tasks.length === 2);
    clock.advance(200);
    expect(await waiting).toEqual([]);
    open();
    expect(await submitted).toEqual({ created: 2, existing: 0, requeued: 0 });
    await waitFor(async () => (await store.listTasks({ state: 'queued', limit: 10 })).tasks.length === 2);
    const [served] = await store.claim([{ workerId: 'w', host: 'h', max: 1, waitMs: 0 }]);
    const task = served?.[0];
    const detail = await store.getTask(task!.key);
    expect(detail.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      ['gone', 'released'],
      ['w', 'running'],
    ]);
    expect(errors).toEqual([]);
    notifier.close();
    await store.close();
  });

  it('answers every waiting claim empty on close, and later ones at once', async () => {
    const store = new SqliteStore(':memory:');
    const notifier = new ClaimNotifier(store, new ManualClock(), () => {});
    const signal = new AbortController().signal;
    const waiting = Array.from({ length: 3 }, (_, i) =>
      notifier.claim({ workerId: `w${i}`, host: 'h', max: 1, waitMs: 60_000 }, 60_000, signal),
    );
    await waitFor(() => notifier.waiting === 3);
    notifier.close();
    expect(await Promise.all(waiting)).toEqual([[], [], []]);
    await store.submit({ tasks: specs(1) });
    expect(
      await notifier.claim({ workerId: 'late', host: 'h', max: 1, waitMs: 60_000 }, 60_000, signal),
    ).toEqual([]);
    await store.close();
  });
});
