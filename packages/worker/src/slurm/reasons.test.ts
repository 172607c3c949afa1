import { describe, expect, it } from 'vitest';
import { pendingForever, pendingReasonHint } from './reasons.js';

describe('pendingReasonHint', () => {
  it('says which pending reasons mean the job will not start as asked', () => {
    expect(pendingReasonHint('(PartitionConfig)')).toMatch(/will not start.*ask for less/);
    expect(pendingReasonHint('PartitionTimeLimit')).toMatch(/--time is above/);
    expect(pendingReasonHint('(ReqNodeNotAvail, UnavailableNodes:n[1-3])')).toMatch(/down, drained/);
    expect(pendingReasonHint('(QOSMaxJobsPerUserLimit)')).toMatch(/limit of your account or QOS/);
    expect(pendingReasonHint('(Resources)')).toBe('it waits for free nodes');
    expect(pendingReasonHint('(SomethingNew)')).toBeUndefined();
    expect(pendingForever('(PartitionConfig)')).toBe(true);
    expect(pendingForever('(InvalidQOS)')).toBe(true);
    expect(pendingForever('(Resources)')).toBe(false);
    expect(pendingForever('(SomethingNew)')).toBe(false);
  });
});
