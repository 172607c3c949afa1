import { join } from 'node:path';
import { SqliteStore } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('claim with exclude', () => {
  it('never hands out the excluded task names, and a release of one charges no attempt', async () => {
    const dir = makeTempDir('bottle-exclude-');
    dirs.push(dir);
    const store = new SqliteStore(join(dir.path, 'bottle.db'));
    const tasks = [1, 2, 3].flatMap((n) => [
      { task: 'train', params: { n } },
      { task: 'plot', params: { n } },
    ]);
    await store.submit({ tasks });
    const claim = { workerId: 'w1', host: 'h', max: 10, waitMs: 0 };
    const first = (await store.claim([{ ...claim, max: 1 }]))[0]!;
    expect(first.map((t) => t.task)).toEqual(['train']);
    // The worker cannot run "train": it gives the task back and claims without it.
    const [released] = await store.report('w1', [
      { outcome: 'released', key: first[0]!.key, leaseToken: first[0]!.leaseToken },
    ]);
    expect(released?.ok).toBe(true);
    const rest = (await store.claim([{ ...claim, exclude: ['train', 'nosuch'] }]))[0]!;
    expect(rest.map((t) => t.task)).toEqual(['plot', 'plot', 'plot']);
    const other = (await store.claim([{ ...claim, workerId: 'w2' }]))[0]!;
    expect(other.map((t) => t.task)).toEqual(['train', 'train', 'train']);
    // The released task's second lease is attempt 2, but no attempt was charged against max attempts.
    const again = other.find((t) => t.key === first[0]!.key);
    expect(again?.attempt).toBe(2);
    const row = store.db.prepare('SELECT charged FROM tasks WHERE key = ?').get(first[0]!.key) as {
      charged: number;
    };
    expect(row.charged).toBe(1);
    await store.close();
  });
});
