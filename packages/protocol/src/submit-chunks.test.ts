import { describe, expect, it } from 'vitest';
import type { TaskSpec } from './schemas.js';
import { type SubmitChunk, submitInChunks } from './submit-chunks.js';

function* specs(n: number): Generator<TaskSpec> {
  for (let i = 0; i < n; i++) yield { task: 't', params: { i } };
}

describe('submitInChunks', () => {
  it('sends chunks of chunkSize in order, one at a time, and adds up the answers', async () => {
    const sizes: number[] = [];
    let inFlight = 0;
    const submit: SubmitChunk = async (tasks, options) => {
      expect(options).toEqual({ scan: 's', rerun: true });
      expect(++inFlight).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      sizes.push(tasks.length);
      return { created: tasks.length - 1, existing: 1, requeued: 1 };
    };
    const progress: number[] = [];
    const totals = await submitInChunks(specs(25), submit, {
      scan: 's',
      rerun: true,
      chunkSize: 10,
      onProgress: (p) => progress.push(p.submitted),
    });
    expect(sizes).toEqual([10, 10, 5]);
    expect(progress).toEqual([10, 20, 25]);
    expect(totals).toEqual({ submitted: 25, created: 22, existing: 3, requeued: 3 });
  });

  it('takes async iterables, sends nothing for an empty sweep, and caps chunks at MAX_SUBMIT_TASKS', async () => {
    const sizes: number[] = [];
    const submit: SubmitChunk = async (tasks) => {
      sizes.push(tasks.length);
      return { created: tasks.length, existing: 0, requeued: 0 };
    };
    async function* later() {
      yield* specs(3);
    }
    expect(await submitInChunks(later(), submit, { chunkSize: 2 })).toMatchObject({ submitted: 3 });
    expect(await submitInChunks([], submit)).toEqual({ submitted: 0, created: 0, existing: 0, requeued: 0 });
    await submitInChunks(specs(50_001), submit, { chunkSize: 10 ** 9 });
    expect(sizes).toEqual([2, 1, 50_000, 1]);
  });
});
