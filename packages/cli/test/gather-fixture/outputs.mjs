// Task module for the gather end-to-end test. It imports only Node built-ins, so that the test can copy
// it into each worker's own root (no shared filesystem): outputs land in that root's out/ folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a data file and a nested note; even tasks return their result, odd ones write result.json
 * instead (both end up as the same columns of `bottle results`).
 */
export const task = {
  run(params, ctx) {
    const { n } = params;
    writeFileSync(join(ctx.outputDir, 'data.bin'), Buffer.alloc(1000 + n * 37, `bottle-${n}-`));
    mkdirSync(join(ctx.outputDir, 'sub'), { recursive: true });
    writeFileSync(join(ctx.outputDir, 'sub', 'note.txt'), `task ${n}, label ${params.label}\n`);
    const result = { square: n * n, label: `t${n}` };
    if (n % 2 === 0) return result;
    writeFileSync(join(ctx.outputDir, 'result.json'), JSON.stringify(result));
    return undefined;
  },
};

/** `outputs.scan`: 50 tasks. */
export function scan() {
  return Array.from({ length: 50 }, (_, n) => ({ n, label: n % 3 === 0 ? 'a,"b"' : 'plain' }));
}

/** A task with a large output (`bytes`, default 48 MiB), so that its upload can be cut midway. */
export const big = {
  run(params, ctx) {
    writeFileSync(join(ctx.outputDir, 'big.bin'), Buffer.alloc(params.bytes, `big-${params.seed}-`));
    return { bytes: params.bytes };
  },
};

export function large() {
  return { task: 'big', params: [{ seed: 1, bytes: Number(process.env.BIG_BYTES ?? 48 * 1024 * 1024) }] };
}
