import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, expect, it } from 'vitest';
import { TaskBase, type TaskContext } from '../src/task/task-base.js';

/** What the runner's context getter answers, for a test without a runner. */
function setTaskContext(context: TaskContext | undefined): void {
  Object.defineProperty(globalThis, Symbol.for('bottle.taskContext'), { value: context, configurable: true });
}

const temp = makeTempDir();
afterAll(() => {
  setTaskContext(undefined);
  temp.remove();
});

class Squares extends TaskBase<{ n: number }> {
  override outDir() {
    return 'squares';
  }
  override transformParams(p: { n: number; outputDir: string }) {
    return { ...p, square: p.n * p.n };
  }
  run() {
    return this.processedParams();
  }
}

it('processedParams() adds the output directory (created) and applies transformParams', () => {
  setTaskContext({
    root: temp.path,
    task: 'm.Squares',
    key: 'k',
    paramsHash: 'h'.repeat(64),
    attempt: 1,
    outputDir: '',
    signal: new AbortController().signal,
  });
  const task = new Squares({ n: 3 });
  const processed = task.run();
  const outputDir = join(temp.path, 'squares', 'h'.repeat(64));
  expect(processed).toEqual({ n: 3, outputDir, square: 9 });
  expect(existsSync(outputDir)).toBe(true);
});

it('defaults the output root to <root>/out', () => {
  class Plain extends TaskBase {
    run() {
      return this.outDir();
    }
  }
  setTaskContext({
    root: temp.path,
    task: 'm.Plain',
    key: 'k',
    paramsHash: 'a'.repeat(64),
    attempt: 2,
    outputDir: '',
    signal: new AbortController().signal,
  });
  expect(new Plain({}).run()).toBe(join(temp.path, 'out'));
});
