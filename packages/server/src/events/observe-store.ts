/**
 * A Store that tells what happened through events, around any backend: workers seen for the first
 * time, submissions, failures and lost leases. The statements of the store stay as they are.
 */
import type { Store } from '../store/store.js';
import type { ServerEventListener } from './types.js';

/** What the observed store tells the metrics, beside the events. */
export interface StoreStats {
  claimed(tasks: readonly { key: string }[]): void;
  finished(key: string, outcome: 'done' | 'failed' | 'released', retryable: boolean): void;
}

export function observeStore(store: Store, emit: ServerEventListener, stats?: StoreStats): Store {
  const known = new Set<string>();
  const seen = (workerId: string | undefined, host: string | undefined) => {
    if (workerId === undefined || known.has(workerId)) return;
    known.add(workerId);
    emit({ type: 'worker.joined', workerId, host: host ?? '' });
  };
  const observed: Partial<Store> = {
    async submit(request) {
      const result = await store.submit(request);
      const scans = new Set<string>();
      for (const task of request.tasks) scans.add(task.scan ?? request.scan ?? 'default');
      emit({ type: 'scan.submitted', scans: [...scans], ...result });
      return result;
    },
    async claim(requests) {
      for (const request of requests) seen(request.workerId, request.host);
      const answers = await store.claim(requests);
      for (const tasks of answers) stats?.claimed(tasks);
      return answers;
    },
    async heartbeat(request) {
      seen(request.workerId, request.host);
      const response = await store.heartbeat(request);
      if (response.lost.length > 0)
        emit({ type: 'lease.lost', workerId: request.workerId, keys: response.lost });
      return response;
    },
    async report(workerId, reports) {
      seen(workerId, undefined);
      const results = await store.report(workerId, reports);
      const lost: string[] = [];
      results.forEach((result, i) => {
        const item = reports[i];
        if (!item) return;
        if (!result.ok) {
          if (result.error.code === 'ERR_STALE_LEASE') lost.push(result.key);
          return;
        }
        stats?.finished(item.key, item.outcome, item.outcome === 'failed' && item.retryable);
        if (item.outcome === 'failed') {
          const { key, retryable, error } = item;
          emit({
            type: 'task.failed',
            key,
            workerId: workerId ?? null,
            retryable,
            error: error.slice(0, 500),
          });
        }
      });
      if (lost.length > 0) emit({ type: 'lease.lost', workerId: workerId ?? null, keys: lost });
      return results;
    },
  };
  // Every other method goes to the store itself, bound so that its private fields work.
  return new Proxy(store, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in observed) return observed[property as keyof Store];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
