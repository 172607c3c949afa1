// The built-in strategies, each held to what it promises: driven by hand (ask, then tell the whole
// batch), and through the controller on the local driver.
import type { Params } from '@bottle/protocol';
import {
  gridRefinement,
  halvingRungs,
  localDriver,
  type Objective,
  randomSearch,
  resolveSearch,
  runSearch,
  type Strategy,
  successiveHalving,
  type Told,
} from '@bottle/worker/search';
import { describe, expect, it } from 'vitest';

const minimize: Objective = { minimize: 'loss' };
const told = (value: number | undefined): Told => ({
  value,
  state: value === undefined ? 'failed' : 'done',
  result: value === undefined ? null : { loss: value },
  error: null,
  objective: minimize,
  key: '0'.repeat(64),
  paramsHash: '0'.repeat(64),
});
const bowl = (p: Params) => ((p['x'] as number) - 1.5) ** 2 + ((p['y'] as number) + 0.5) ** 2;

/** Asks everything the strategy has to propose now, and tells each its value. */
async function round(strategy: Strategy, value: (p: Params) => number | undefined): Promise<Params[]> {
  const asked = await strategy.ask(10_000);
  for (const params of asked) await strategy.tell(params, told(value(params)));
  return asked;
}

describe('randomSearch', () => {
  it('draws each kind of range within its bounds, the same sets for the same seed', () => {
    const space = {
      u: { uniform: [-1, 1] },
      l: { logUniform: [1e-4, 1] },
      i: { int: [2, 4] },
      c: { choice: ['a', 'b'] },
    } as const;
    const sets = randomSearch(space, { seed: 3 }).ask(2_000) as Params[];
    expect(randomSearch(space, { seed: 3 }).ask(2_000)).toEqual(sets);
    expect(randomSearch(space, { seed: 4 }).ask(5)).not.toEqual(sets.slice(0, 5));
    const column = (name: string) => sets.map((set) => set[name] as number);
    expect(Math.min(...column('u'))).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...column('u'))).toBeLessThanOrEqual(1);
    expect(new Set(column('i'))).toEqual(new Set([2, 3, 4]));
    expect(new Set(sets.map((set) => set['c']))).toEqual(new Set(['a', 'b']));
    // Log-uniform: each decade about as often (a quarter of 2,000 each, give or take 5 sigma).
    const decades = [0, 0, 0, 0];
    for (const l of column('l')) decades[Math.min(3, Math.floor(-Math.log10(l)))]! += 1;
    for (const n of decades) expect(Math.abs(n - 500)).toBeLessThan(5 * Math.sqrt(2_000 * 0.25 * 0.75));
  });
});

describe('gridRefinement', () => {
  it('runs the full grid, then grids half as wide centred on the best, which never gets worse', async () => {
    const strategy = gridRefinement(
      { x: { uniform: [-2, 2] }, y: { uniform: [-2, 2] } },
      { points: 5, rounds: 5 },
    );
    let previousBest: { params: Params; value: number } | undefined;
    for (let r = 0; r < 5; r++) {
      const asked = await round(strategy, bowl);
      const xs = [...new Set(asked.map((p) => p['x'] as number))].sort((a, b) => a - b);
      if (r === 0) expect(xs).toEqual([-2, -1, 0, 1, 2]);
      expect(asked.length).toBeLessThanOrEqual(25);
      // The spacing halves each round.
      expect(xs[1]! - xs[0]!).toBeCloseTo(0.5 ** r, 12);
      if (previousBest) expect(asked).toContainEqual(previousBest.params);
      const best = asked.reduce((a, b) => (bowl(b) < bowl(a) ? b : a));
      if (previousBest) expect(bowl(best)).toBeLessThanOrEqual(previousBest.value);
      previousBest = { params: best, value: bowl(best) };
    }
    expect(await strategy.ask(10)).toEqual([]);
    const { x, y } = previousBest!.params as { x: number; y: number };
    expect(Math.hypot(x - 1.5, y + 0.5)).toBeLessThanOrEqual(0.0625 * Math.SQRT2);
  });

  it('refines logUniform in the logarithm and int on whole numbers; a choice is kept at the best', async () => {
    const strategy = gridRefinement(
      { lr: { logUniform: [1e-4, 1] }, n: { int: [1, 10] }, kind: { choice: ['a', 'b'] } },
      { points: 5, rounds: 2 },
    );
    const loss = (p: Params) =>
      Math.abs(Math.log10(p['lr'] as number) + 2) +
      Math.abs((p['n'] as number) - 7) +
      (p['kind'] === 'b' ? 0 : 5);
    const first = await round(strategy, loss);
    expect(first).toHaveLength(5 * 5 * 2);
    const lrs = [...new Set(first.map((p) => p['lr'] as number))].sort((a, b) => a - b);
    for (const [i, lr] of lrs.entries()) expect(Math.log10(lr)).toBeCloseTo(-4 + i, 10);
    expect([...new Set(first.map((p) => p['n']))].sort((a, b) => Number(a) - Number(b))).toEqual([
      1, 3, 6, 8, 10,
    ]);
    const second = await round(strategy, loss);
    expect(new Set(second.map((p) => p['kind']))).toEqual(new Set(['b']));
    expect(second.every((p) => Number.isInteger(p['n']))).toBe(true);
    expect(await strategy.ask(10)).toEqual([]);
  });

  it('asks nothing more while its round is not told in full', async () => {
    const strategy = gridRefinement({ x: { uniform: [0, 1] } }, { points: 3 });
    const asked = await strategy.ask(10);
    expect(asked).toHaveLength(3);
    await strategy.tell(asked[0]!, told(1));
    expect(await strategy.ask(10)).toEqual([]);
  });

  it('refuses bad options with ERR_BAD_SEARCH', () => {
    expect(() => gridRefinement({ x: { uniform: [0, 1] } }, { points: 1 })).toThrow(/points/);
    expect(() => gridRefinement({ x: { uniform: [0, 1] } }, { shrink: 1 })).toThrow(/shrink/);
  });
});

describe('successiveHalving', () => {
  const space = { x: { uniform: [0, 1] } } as const;
  const loss = (p: Params) => ((p['x'] as number) - 0.3) ** 2 + 1 / (p['epochs'] as number);

  it('runs every set on the smallest budget, then the best third on three times as much, up to the largest', async () => {
    const strategy = successiveHalving(space, {
      budget: { name: 'epochs', min: 1, max: 9 },
      configs: 9,
      eta: 3,
    });
    expect(halvingRungs({ budget: { name: 'epochs', min: 1, max: 9 }, configs: 9, eta: 3 })).toEqual([
      { configs: 9, budget: 1 },
      { configs: 3, budget: 3 },
      { configs: 1, budget: 9 },
    ]);
    const rung0 = await round(strategy, loss);
    expect(rung0).toHaveLength(9);
    expect(rung0.every((p) => p['epochs'] === 1)).toBe(true);
    const rung1 = await round(strategy, loss);
    const top3 = [...rung0].sort((a, b) => loss(a) - loss(b)).slice(0, 3);
    expect(rung1).toEqual(top3.map((p) => ({ ...p, epochs: 3 })));
    const rung2 = await round(strategy, loss);
    expect(rung2).toEqual([{ ...top3[0], epochs: 9 }]);
    expect(await strategy.ask(10)).toEqual([]);
  });

  it('never promotes a failed set, and waits for its rung to be told in full', async () => {
    const strategy = successiveHalving(space, {
      budget: { name: 'epochs', min: 1, max: 3 },
      configs: 3,
      eta: 3,
    });
    const rung0 = await strategy.ask(10);
    const best = rung0.reduce((a, b) => (loss(b) < loss(a) ? b : a));
    await strategy.tell(best, told(undefined));
    expect(await strategy.ask(10)).toEqual([]);
    for (const params of rung0.filter((p) => p !== best)) await strategy.tell(params, told(loss(params)));
    const [promoted] = await strategy.ask(10);
    expect(promoted).toBeDefined();
    expect({ ...promoted, epochs: 1 }).not.toEqual(best);
  });

  it('through the controller: 9 + 3 + 1 tasks, the best on the largest budget', async () => {
    const driver = localDriver((_task, params) => ({ loss: loss(params) }));
    const search = resolveSearch(
      {
        task: 'm.task',
        objective: minimize,
        budget: { maxTasks: 100, maxParallel: 4 },
        ...successiveHalving(space, { budget: { name: 'epochs', min: 1, max: 9 }, configs: 9, eta: 3 }),
      },
      'halving',
    );
    const outcome = await runSearch(search, { driver });
    expect(outcome).toMatchObject({ reason: 'exhausted', told: 13, best: { params: { epochs: 9 } } });
  });

  it('refuses a budget parameter that is also in the space', () => {
    expect(() => successiveHalving(space, { budget: { name: 'x', min: 1, max: 3 } })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SEARCH' }),
    );
  });
});
