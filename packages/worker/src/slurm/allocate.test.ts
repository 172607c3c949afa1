import { describe, expect, it } from 'vitest';
import { decideAllocation, elementsOf } from './allocate.js';

const limits = { slots: 4, maxJobs: 3, maxWorkers: 10 };
const idle = { queuedTasks: 0, pendingWorkers: 0, runningWorkers: 0, ownedJobs: 0 };

describe('decideAllocation', () => {
  it('submits enough workers for the waiting tasks, up to --max-workers', () => {
    expect(decideAllocation({ ...idle, queuedTasks: 10 }, limits)).toMatchObject({ workers: 3 });
    const capped = decideAllocation({ ...idle, queuedTasks: 1000, runningWorkers: 6, ownedJobs: 1 }, limits);
    expect(capped.workers).toBe(4);
    expect(capped.reason).toMatch(
      /1000 tasks wait: submitting 4 workers of 4 slots \(6 running, 0 pending; --max-workers 10\)/,
    );
  });

  it('submits none when no task waits, while its workers are pending, or at a limit, and says why', () => {
    expect(decideAllocation({ ...idle, runningWorkers: 2 }, limits)).toEqual({
      workers: 0,
      reason: 'no task waits (2 running, 0 pending)',
    });
    expect(
      decideAllocation({ ...idle, queuedTasks: 50, pendingWorkers: 1, ownedJobs: 1 }, limits).reason,
    ).toMatch(/1 worker is pending/);
    expect(
      decideAllocation({ ...idle, queuedTasks: 50, runningWorkers: 3, ownedJobs: 3 }, limits).reason,
    ).toMatch(/at --max-jobs 3/);
    expect(
      decideAllocation({ ...idle, queuedTasks: 50, runningWorkers: 10, ownedJobs: 2 }, limits).reason,
    ).toMatch(/at --max-workers 10/);
  });
});

describe('elementsOf', () => {
  it('counts the array elements of a squeue job id', () => {
    expect(elementsOf('12')).toBe(1);
    expect(elementsOf('12_3')).toBe(1);
    expect(elementsOf('12_[0-3]')).toBe(4);
    expect(elementsOf('12_[0-3,7]')).toBe(5);
    expect(elementsOf('12_[1-4%2]')).toBe(4);
  });
});
