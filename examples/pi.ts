/**
 * A realistic small sweep: estimate pi by Monte Carlo for several sample counts and seeds, and see
 * the error shrink as 1/sqrt(samples). Each run writes result.json and returns its metrics, which
 * the server stores as the task's result.
 *
 *   bottle post examples/pi.scan           # 15 tasks named examples/pi.task, scan "pi"
 *   bottle-worker http://127.0.0.1:1988 -x 4
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pset } from '@bottle/protocol';
import { defineTask } from '@bottle/worker/task';

export function scan() {
  return pset('samples', [10_000, 100_000, 1_000_000])
    .times(pset('seed', [1, 2, 3, 4, 5]))
    .named('pi');
}

/** mulberry32: a small seeded generator, so that a run is reproducible from its parameters. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const task = defineTask({
  async run(params: { samples: number; seed: number }, ctx) {
    const next = random(params.seed);
    const started = performance.now();
    let inside = 0;
    for (let i = 0; i < params.samples; i++) {
      const x = next();
      const y = next();
      if (x * x + y * y <= 1) inside++;
      // Stay responsive to kill() on long runs: check the abort signal now and then.
      if (i % 1_000_000 === 999_999) {
        if (ctx.signal.aborted) throw new Error('stopped');
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const estimate = (4 * inside) / params.samples;
    const metrics = {
      estimate,
      absError: Math.abs(estimate - Math.PI),
      /** The expected size of the error: 4 * sqrt(p(1-p)/n) with p = pi/4. */
      stdError: 4 * Math.sqrt(((Math.PI / 4) * (1 - Math.PI / 4)) / params.samples),
      seconds: (performance.now() - started) / 1000,
    };
    writeFileSync(join(ctx.outputDir, 'result.json'), `${JSON.stringify({ params, ...metrics }, null, 2)}\n`);
    return metrics;
  },
});
