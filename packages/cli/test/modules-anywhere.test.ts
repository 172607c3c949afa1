import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashParams } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, repoRoot, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

// Task modules as a user keeps them: in a folder outside this repository, with no node_modules of
// their own, importing @bottle/* as the README shows.
const typescriptModule = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pset } from '@bottle/protocol';
import { defineTask } from '@bottle/worker/task';

export const task = defineTask({
  run(params: { n: number }, ctx) {
    writeFileSync(join(ctx.outputDir, 'n.txt'), String(params.n));
    console.log('n is', params.n);
    return { double: params.n * 2 };
  },
});

export function scan() {
  return pset('n', [1, 2, 3]);
}
`;

const javascriptModule = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pset } from '@bottle/protocol';
import { TaskBase } from '@bottle/worker/task';

export class Task extends TaskBase {
  run() {
    writeFileSync(join(this.processedParams().outputDir, 'n.txt'), String(this.params.n));
    console.log('n is', this.params.n);
    return { triple: this.params.n * 3 };
  }
}

export function scan() {
  return pset('n', [4, 5]);
}
`;

describe('task modules outside the repository import @bottle/* and print to their own logs', () => {
  it.each([
    ['my.ts', typescriptModule, 'process', { n: 2 }, { double: 4 }],
    ['plain.mjs', javascriptModule, 'process', { n: 5 }, { triple: 15 }],
    ['plain.mjs', javascriptModule, 'thread', { n: 4 }, { triple: 12 }],
    ['my.ts', typescriptModule, 'none', { n: 3 }, { double: 6 }],
  ])('%s with isolation %s, through the real bins', async (file, source, isolation, params, result) => {
    scene = new Scene();
    const temp = makeTempDir('bottle-user-sweep-');
    scene.defer(() => temp.remove());
    expect(temp.path.startsWith(repoRoot)).toBe(false);
    writeFileSync(join(temp.path, file), source);
    const spec = `${file.replace(/\.m?[jt]s$/, '')}.scan`;
    const server = await scene.server(['-p', spec, '--root', temp.path]);
    const worker = scene.worker(server.url, ['--root', temp.path, '--isolation', isolation, '-x', '2']);
    expect(await worker.exited).toBe(0);
    expect(worker.stdout).toMatch(/ done, 0 failed/);
    const tasks = await allTasks(server.client);
    expect(tasks.every((task) => task.state === 'done')).toBe(true);
    expect(tasks.find((task) => task.params.n === params.n)?.result).toEqual(result);
    const dir = join(temp.path, 'out', hashParams(params));
    expect(readFileSync(join(dir, 'n.txt'), 'utf8')).toBe(String(params.n));
    // The task's console output lands in its own log, whatever the isolation, and not the worker's.
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe(`n is ${params.n}\n`);
    expect(worker.stdout).not.toMatch(/n is/);
  });
});
