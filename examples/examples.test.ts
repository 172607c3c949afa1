// Acceptance test of the examples: loaded as a user would (`examples/dummy.scan`) and run by a real
// worker against a real server. The task processes import the built @bottle/* packages (pnpm test builds).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams } from '@bottle/protocol';
import { startBottleServer } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { BottleClient, loadScan, Worker } from '@bottle/worker';
import { afterAll, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const temp = makeTempDir();
// A root holding copies of the examples, so that their outputs land in the temporary directory.
const root = temp.path;
mkdirSync(join(root, 'examples'));
for (const file of ['dummy.ts', 'pi.ts']) cpSync(join(repo, 'examples', file), join(root, 'examples', file));
mkdirSync(join(root, 'node_modules', '@bottle'), { recursive: true });
for (const name of ['protocol', 'worker']) {
  symlinkSync(join(repo, 'packages', name), join(root, 'node_modules', '@bottle', name));
}
afterAll(() => temp.remove());

it('examples/dummy.scan is the seed sweep: 37 tasks named examples/dummy.Task in scan dummy1', async () => {
  const scan = await loadScan('examples/dummy.scan', { root: repo });
  expect(scan).toMatchObject({ name: 'dummy1', task: 'examples/dummy.Task', size: 37 });
  const specs = [...(scan.specs as Iterable<{ params: unknown }>)];
  expect(specs).toHaveLength(37);
  expect(specs[0]).toEqual({ task: 'examples/dummy.Task', params: { a: 1, b: 'a' }, scan: 'dummy1' });
  expect(specs[36]).toEqual({ task: 'examples/dummy.Task', params: { x: 10001 }, scan: 'dummy1' });
});

it('a worker runs both examples to the end, with their outputs', async () => {
  await using server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db') });
  const client = new BottleClient(server.url);
  const dummy = await loadScan('examples/dummy.scan', { root });
  const pi = await loadScan('examples/pi.scan', { root });
  expect(pi).toMatchObject({ name: 'pi', task: 'examples/pi.task', size: 15 });
  expect(await client.submitAll(dummy.specs)).toMatchObject({ created: 37 });
  expect(await client.submitAll(pi.specs)).toMatchObject({ created: 15 });

  await using worker = new Worker({ server: server.url, root, slots: 2 });
  expect(await worker.run()).toMatchObject({ done: 52, failed: 0 });

  for (const params of [{ a: 1, b: 'a' }, { x: 1000 }]) {
    const dir = join(root, 'out', hashParams(params));
    expect(JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'))).toEqual(params);
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toContain('dummy task ran');
  }
  expect(readdirSync(join(root, 'out'))).toHaveLength(52);
  const { tasks } = await client.listTasks({ scan: 'pi', limit: 100 });
  for (const task of tasks) {
    const result = task.result as { estimate: number; stdError: number };
    expect(Math.abs(result.estimate - Math.PI)).toBeLessThan(6 * result.stdError);
    expect(existsSync(join(root, 'out', task.paramsHash, 'result.json'))).toBe(true);
  }
  client.close();
});
