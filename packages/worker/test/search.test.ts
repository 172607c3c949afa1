// The search controller over the local driver: budget, target, dedup, replay on restart, bad searches.
import type { Params } from '@bottle/protocol';
import {
  localDriver,
  randomSearch,
  resolveSearch,
  runSearch,
  type Search,
  type Told,
} from '@bottle/worker/search';
import { describe, expect, it } from 'vitest';

const bowl = (p: Params) => ({ loss: ((p['x'] as number) - 1.5) ** 2 + ((p['y'] as number) + 0.5) ** 2 });
const space = { x: { uniform: [-2, 2] }, y: { uniform: [-2, 2] } } as const;

function quadratic(budget: Search['budget'], extra: Partial<Search> = {}) {
  return resolveSearch(
    {
      task: 'bowl.task',
      objective: { minimize: 'loss' },
      budget,
      ...randomSearch(space, { seed: 7 }),
      ...extra,
    },
    'bowl',
  );
}

describe('runSearch', () => {
  it('runs maxTasks tasks, never more than maxParallel at once, and returns the best', async () => {
    let running = 0;
    let most = 0;
    const driver = localDriver(async (_task, params) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return bowl(params);
    });
    const outcome = await runSearch(quadratic({ maxTasks: 30, maxParallel: 3 }), { driver });
    expect(outcome).toMatchObject({ scan: 'bowl', reason: 'budget', told: 30, submitted: 30 });
    expect(driver.ran).toHaveLength(30);
    expect(most).toBe(3);
    const losses = driver.ran.map((task) => (task.result as { loss: number }).loss);
    expect(outcome.best?.value).toBe(Math.min(...losses));
    expect(outcome.best?.paramsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a wide search submits in batches of a quarter of maxParallel, keeping at most maxParallel in flight', async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    // Tasks of 0 to 3 ms: their finishes trickle in, one or two at a time.
    const driver = localDriver(async (_task, params) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, started++ % 4));
      running--;
      return bowl(params);
    });
    const sizes: number[] = [];
    const submit = driver.submit;
    driver.submit = (scan, specs) => {
      sizes.push(specs.length);
      return submit(scan, specs);
    };
    const outcome = await runSearch(quadratic({ maxTasks: 103, maxParallel: 16 }), { driver });
    expect(outcome).toMatchObject({ reason: 'budget', told: 103 });
    expect(most).toBeLessThanOrEqual(16);
    expect(sizes[0]).toBe(16);
    // Then 4 at least each time, but for the budget's last few (103 = 16 + 4k + 3 at the least).
    expect(sizes.slice(1, -1).every((size) => size >= 4)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(103);
  });

  it('stops proposing at the target, and maximize reads a dotted field', async () => {
    const driver = localDriver((_task, params) => ({ m: { score: -bowl(params).loss } }));
    const outcome = await runSearch(
      quadratic({ maxTasks: 500, maxParallel: 2, target: -0.1 }, { objective: { maximize: 'm.score' } }),
      { driver },
    );
    expect(outcome.reason).toBe('target');
    expect(outcome.best?.value).toBeGreaterThanOrEqual(-0.1);
    // Nothing proposed after the target: at most the one in flight beside it finished too.
    const hit = driver.ran.findIndex((task) => (task.result as { m: { score: number } }).m.score >= -0.1);
    expect(driver.ran.length).toBeLessThanOrEqual(hit + 2);
  });

  it('a set proposed again is told from what ran, never run twice; a failed task is told without a value', async () => {
    const told: Array<[Params, Told]> = [];
    const proposals = [[{ a: 1 }, { a: 2 }], [{ a: 1 }], [{ a: 3 }], []];
    const driver = localDriver((_task, params) => {
      if (params['a'] === 2) throw new Error('boom');
      return { v: params['a'] as number };
    });
    const search = resolveSearch(
      {
        task: 'm.task',
        objective: { minimize: 'v' },
        budget: { maxTasks: 10, maxParallel: 2 },
        ask: () => proposals.shift() ?? [],
        tell: (params, outcome) => void told.push([params, outcome]),
      },
      'dedup',
    );
    const outcome = await runSearch(search, { driver });
    expect(driver.ran.map((task) => task.params)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(outcome).toMatchObject({ reason: 'exhausted', told: 3, submitted: 3, best: { value: 1 } });
    expect(told.filter(([params]) => params['a'] === 1)).toHaveLength(2);
    const failed = told.find(([params]) => params['a'] === 2)?.[1];
    expect(failed).toMatchObject({ state: 'failed', value: undefined, error: 'boom' });
  });

  it('a restarted controller replays the finished tasks into tell in finishing order, then goes on', async () => {
    const driver = localDriver((_task, params) => bowl(params));
    const stop = new AbortController();
    const first = await runSearch(quadratic({ maxTasks: 20, maxParallel: 2 }), {
      driver,
      signal: stop.signal,
      onTold: ({ told }) => {
        if (told === 8) stop.abort();
      },
    });
    expect(first.reason).toBe('stopped');
    const before = driver.ran.map((task) => task.key);

    const replayed: string[] = [];
    const second = quadratic({ maxTasks: 20, maxParallel: 2 });
    const tell = second.tell;
    second.tell = (params, outcome) => {
      replayed.push(outcome.key);
      return tell(params, outcome);
    };
    const outcome = await runSearch(second, { driver });
    expect(replayed.slice(0, before.length)).toEqual(before);
    expect(outcome).toMatchObject({ reason: 'budget', told: 20 });
    // The same seed proposes the same first sets: those were told from the queue, not run again.
    expect(new Set(driver.ran.map((task) => task.key)).size).toBe(driver.ran.length);
    expect(driver.ran).toHaveLength(20);
  });
});

describe('a finish the follower never hears of (a lease that expired for good, a cancel)', () => {
  it('is found when the controller reads its tasks in flight after a quiet period', async () => {
    const local = localDriver((_task, params) => bowl(params));
    let dropped: string | undefined;
    // The first finish is lost on its way: only a read of the task tells it.
    const driver = {
      ...local,
      follow: (scan: string, onFinish: Parameters<typeof local.follow>[1]) =>
        local.follow(scan, (task) => {
          if (dropped === undefined) dropped = task.key;
          else onFinish(task);
        }),
    };
    const outcome = await runSearch(quadratic({ maxTasks: 6, maxParallel: 1 }), { driver, recheckMs: 1 });
    expect(dropped).toBeDefined();
    expect(outcome).toMatchObject({ reason: 'budget', told: 6 });
    expect(local.ran).toHaveLength(6);
  });
});

describe('a search of a dozen lines (docs/search.md)', () => {
  it('finds the minimum of (x - 0.7)² within 0.02, in at most 60 tasks', async () => {
    function search() {
      let best = { x: 0, loss: Number.POSITIVE_INFINITY };
      let step = 1;
      return {
        task: 'task',
        objective: { minimize: 'loss' },
        budget: { maxTasks: 60, maxParallel: 2 },
        ask: (n: number) => [{ x: best.x - step }, { x: best.x + step }].slice(0, n),
        tell(params: Params, told: Told) {
          if (told.value !== undefined && told.value < best.loss)
            best = { x: params['x'] as number, loss: told.value };
          else step /= 2;
        },
      };
    }
    const driver = localDriver((_task, params) => ({ loss: ((params['x'] as number) - 0.7) ** 2 }));
    const outcome = await runSearch(resolveSearch(search(), 'local', 'm'), { driver });
    expect(driver.ran.length).toBeLessThanOrEqual(60);
    expect(Math.abs((outcome.best?.params['x'] as number) - 0.7)).toBeLessThan(0.02);
  });
});

describe('bad searches', () => {
  const base = {
    task: 't.task',
    objective: { minimize: 'v' },
    budget: { maxTasks: 3 },
    ask: () => [],
    tell: () => {},
  };
  it.each([
    [{ ...base, task: '' }, /no task/],
    [{ ...base, objective: { minimise: 'v' } }, /objective must be/],
    [{ ...base, budget: { maxTasks: 0 } }, /maxTasks must be a positive integer/],
    [{ ...base, budget: { maxTasks: 3, maxParallel: 1.5 } }, /maxParallel/],
    [{ ...base, ask: undefined }, /ask\(n\) and tell/],
  ])('%o is refused with ERR_BAD_SEARCH', (search, message) => {
    expect(() => resolveSearch(search as unknown as Search, 's')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SEARCH', message: expect.stringMatching(message) }),
    );
  });

  it('a proposal that is not a parameter set fails the search with ERR_BAD_SEARCH', async () => {
    const search = resolveSearch({ ...base, ask: () => [{ x: Number.NaN }] } as unknown as Search, 's');
    await expect(runSearch(search, { driver: localDriver(() => null) })).rejects.toMatchObject({
      code: 'ERR_BAD_SEARCH',
    });
  });

  it("an error thrown by the search's own ask or tell fails the search with ERR_BAD_SEARCH", async () => {
    const throwing = (where: 'ask' | 'tell') =>
      resolveSearch(
        {
          ...base,
          ask:
            where === 'ask'
              ? () => {
                  throw new Error('oops');
                }
              : () => [{ a: 1 }],
          tell:
            where === 'tell'
              ? () => {
                  throw new Error('oops');
                }
              : () => {},
        } as unknown as Search,
        's',
      );
    for (const where of ['ask', 'tell'] as const) {
      await expect(runSearch(throwing(where), { driver: localDriver(() => null) })).rejects.toMatchObject({
        code: 'ERR_BAD_SEARCH',
        message: expect.stringMatching(new RegExp(`the search's ${where}.* threw: oops`)),
      });
    }
  });

  it('a search file with an unknown key or strategy is refused, naming it', async () => {
    const { searchFromFile } = await import('../src/search/search-file.js');
    const file = {
      task: 't',
      objective: { minimize: 'v' },
      budget: { maxTasks: 3 },
      space: { x: { int: [0, 3] } },
    };
    expect(() => searchFromFile({ ...file, strategie: {} }, 's.yaml')).toThrow(
      /s\.yaml: unknown key "strategie"/,
    );
    expect(() => searchFromFile({ ...file, strategy: { bayes: {} } }, 's.yaml')).toThrow(
      /strategy must name one of random, gridRefinement, successiveHalving/,
    );
    expect(() => resolveSearch(searchFromFile({ ...file, budget: {} }, 's.yaml'), 's')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SEARCH' }),
    );
  });

  it('randomSearch refuses a bad range, naming the parameter', () => {
    expect(() => randomSearch({ lr: { logUniform: [0, 1] } })).toThrow(/lr: logUniform needs low > 0/);
    expect(() => randomSearch({ n: { int: [1.5, 3] } })).toThrow(/n: int needs integer bounds/);
  });
});
