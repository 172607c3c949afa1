import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '@bottle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, Scene } from './_e2e.js';
import { relay } from './_relay.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

/** Prints to both streams and notes when run() began and ended; the first attempt of `flaky` throws. */
function writeModule(root: string): void {
  writeFileSync(
    join(root, 'talk.mjs'),
    `import { existsSync, writeFileSync } from 'node:fs';
export class Task {
  constructor(params) { this.params = params; }
  async run() {
    const t0 = Date.now();
    const marker = ${JSON.stringify(join(root, 'talk-ran-'))} + this.params.n;
    const first = this.params.flaky && !existsSync(marker);
    console.log(first ? 'first try ' + this.params.n : 'out ' + this.params.n);
    console.error('err ' + this.params.n + '\\n' + 'x'.repeat(this.params.long ?? 0));
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (first) { writeFileSync(marker, '1'); throw new Error('first attempt fails'); }
    return { t0, t1: Date.now() };
  }
}
`,
  );
}

describe('bottle-worker reports: when the task ran, and its log tails', () => {
  it('reports the real start and end of run(), and the tails of this attempt’s logs', async () => {
    scene = new Scene();
    writeModule(scene.root);
    const server = await scene.server();
    // Prefetched tasks wait in the worker: their runs start long after their claim.
    await server.client.submit(
      [
        ...Array.from({ length: 4 }, (_, n) => ({ task: 'talk.Task', params: { n } })),
        { task: 'talk.Task', params: { n: 9, long: 20_000 } },
      ],
      { scan: 'talk' },
    );
    const wire = await relay(server.url);
    scene.defer(() => wire.close());
    const worker = scene.worker(wire.url, ['-x', '1', '--prefetch', '4', '--quiet']);
    expect(await worker.exited).toBe(0);
    const reports = wire
      .bodies('/v1/report')
      .flatMap((body) => (body as { reports: Report[] }).reports)
      .filter((report) => report.outcome === 'done');
    expect(reports).toHaveLength(5);
    const tasks = await allTasks(server.client, 'talk');
    for (const report of reports) {
      if (report.outcome !== 'done') continue;
      const { t0, t1 } = report.result as { t0: number; t1: number };
      // The run as the task saw it lies within what the report says.
      expect(report.startedAt).toBeLessThanOrEqual(t0);
      expect(report.endedAt).toBeGreaterThanOrEqual(t1);
      const task = tasks.find((t) => t.key === report.key);
      const n = task?.params.n;
      expect(report.logs?.stdout).toBe(`out ${n}\n`);
      expect(report.logs?.stderr?.startsWith(n === 9 ? 'x' : `err ${n}\n`)).toBe(true);
      // The server keeps the length of the run.
      const [attempt] = (await server.client.getTask(report.key)).attempts;
      expect((attempt?.endedAt ?? 0) - (attempt?.startedAt ?? 0)).toBe(
        (report.endedAt as number) - (report.startedAt as number),
      );
    }
    // With one slot, a task's run starts after the previous one's ended, though all were claimed together.
    const runs = reports
      .map((r) => ({ start: r.startedAt as number, end: r.endedAt as number }))
      .sort((a, b) => a.start - b.start);
    for (const [i, run] of runs.slice(1).entries()) {
      expect(run.start).toBeGreaterThanOrEqual(runs[i]?.end as number);
    }
    // A long log is cut to its last 8192 characters.
    const long = reports.find((r) => r.logs?.stderr?.length === 8192);
    expect(long?.logs?.stderr?.endsWith('x\n')).toBe(true);
  });

  it('separates the attempts in stdout.log and stderr.log; each report carries its own attempt’s tail', async () => {
    scene = new Scene();
    writeModule(scene.root);
    const server = await scene.server(['--max-attempts', '2']);
    await server.client.submit([{ task: 'talk.Task', params: { n: 1, flaky: true } }], { scan: 'flaky' });
    const worker = scene.worker(server.url, ['--quiet']);
    expect(await worker.exited).toBe(0);
    const [task] = await allTasks(server.client, 'flaky');
    expect(task?.state).toBe('done');
    const stdout = readFileSync(join(scene.root, 'out', task?.paramsHash as string, 'stdout.log'), 'utf8');
    expect(stdout).toMatch(
      /^first try 1\n--- attempt 2 \(worker [^,]+, \d{4}-\d\d-\d\dT[\d:.]+Z\) ---\nout 1\n$/,
    );
    const stderr = readFileSync(join(scene.root, 'out', task?.paramsHash as string, 'stderr.log'), 'utf8');
    expect(stderr.match(/--- attempt 2 \(worker /g)).toHaveLength(1);
    expect((await server.client.getLogs(task?.key as string, 1)).stdout).toBe('first try 1\n');
    expect((await server.client.getLogs(task?.key as string, 2)).stdout).toBe('out 1\n');
  });
});
