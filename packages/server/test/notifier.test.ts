import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaimRequest } from '@bottle/protocol';
import { SqliteStore } from '@bottle/server';
import { describe, expect, it } from 'vitest';
import { ClaimNotifier } from '../src/queue/notifier.js';
import { systemClock } from '../src/store/clock.js';
import { specs } from './helpers.js';

/** A SqliteStore whose claims, once `slow.ms` is set, answer that much later, as across a network. */
function slowClaims(store: SqliteStore, slow: { ms: number }): SqliteStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'claim') {
        return async (requests: ClaimRequest[]) => {
          const served = await target.claim(requests);
          if (slow.ms > 0) await sleep(slow.ms);
          return served;
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('ClaimNotifier', () => {
  it('gives back, uncharged, the tasks leased for a claim that stopped waiting meanwhile', async () => {
    const store = new SqliteStore(':memory:');
    const errors: unknown[] = [];
    const slow = { ms: 0 };
    const notifier = new ClaimNotifier(slowClaims(store, slow), systemClock, (error) => errors.push(error));
    const request = { workerId: 'gone', host: 'h', max: 2, waitMs: 200 };
    // The claim finds nothing and waits 200 ms...
    const waiting = notifier.claim(request, 200, new AbortController().signal);
    while (notifier.waiting === 0) await sleep(5);
    // ...a submit serves it, but the store answers after the claim has given up.
    slow.ms = 1_000;
    await notifier.submit({ tasks: specs(2) });
    expect(await waiting).toEqual([]);
    while ((await store.listTasks({ state: 'queued', limit: 10 })).tasks.length < 2) await sleep(10);
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
    const notifier = new ClaimNotifier(store, systemClock, () => {});
    const signal = new AbortController().signal;
    const waiting = Array.from({ length: 3 }, (_, i) =>
      notifier.claim({ workerId: `w${i}`, host: 'h', max: 1, waitMs: 60_000 }, 60_000, signal),
    );
    while (notifier.waiting < 3) await sleep(5);
    notifier.close();
    expect(await Promise.all(waiting)).toEqual([[], [], []]);
    await store.submit({ tasks: specs(1) });
    expect(
      await notifier.claim({ workerId: 'late', host: 'h', max: 1, waitMs: 60_000 }, 60_000, signal),
    ).toEqual([]);
    await store.close();
  });
});
