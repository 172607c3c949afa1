import type { Resources } from '@bottle/protocol';
import { describe, expect, it } from 'vitest';
import { claimOffer } from './_offer.js';

describe('claimOffer', () => {
  const has = { cpus: 8, gpus: 2 };
  it('offers what the worker has, free less what the tasks it holds ask', () => {
    const held: { state: string; task: { resources?: Resources } }[] = [
      { state: 'running', task: { resources: { gpus: 1, cpus: 2 } } },
      { state: 'queued', task: { resources: { gpus: 1 } } },
      { state: 'running', task: {} },
      // Ended, being reported: what it held is free again.
      { state: 'reporting', task: { resources: { cpus: 4 } } },
    ];
    expect(claimOffer(has, ['cuda12'], held)).toEqual({
      resources: has,
      free: { cpus: 6, gpus: 0 },
      labels: ['cuda12'],
    });
  });
  it('says nothing of free while its tasks ask nothing, and no labels when it has none', () => {
    expect(claimOffer(has, [], [{ state: 'running', task: {} }])).toEqual({ resources: has });
  });
});
