import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type SlurmFixture, slurmSkipReason, startSlurm, waitFor } from '@bottle/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from './_browser.js';
import { countDone, Scene } from './_e2e.js';

const skip = slurmSkipReason();
if (skip) console.warn(skip);
const noBrowser = chromiumSkipReason();
if (noBrowser) console.warn(noBrowser);
let slurm: SlurmFixture;
let scene: Scene;

beforeAll(async () => {
  if (!skip) slurm = await startSlurm();
}, 60_000);
afterAll(async () => {
  await slurm?.stop();
});
afterEach(async () => {
  await slurm?.run('scancel', ['--user', 'root']).catch(() => {});
  await scene?.close();
});

/** The allocator's options file, for a server on `port`. */
function allocFile(scene: Scene, port: number, options: Record<string, unknown>): string {
  const path = join(scene.dir, 'alloc.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: `http://127.0.0.1:${port}`,
      time: '5',
      every: 0.5,
      output: 'a-%a.out',
      ...options,
    }),
  );
  return path;
}

describe.skipIf(skip !== undefined)('bottle-server --slurm-alloc against a real one-node Slurm', () => {
  it('submits workers while tasks wait and none once the queue is empty, saying why in the event log', async () => {
    scene = new Scene();
    const port = await freePort();
    const file = allocFile(scene, port, { slots: 2, maxWorkers: 1 });
    const server = await scene.server(['-p', 'sweep.scan', '--slurm-alloc', file], { port, env: slurm.env });
    await server.child.waitForOutput(
      /200 tasks wait: submitting 1 worker of 2 slots.*submitted job \d+/,
      30_000,
    );
    await waitFor(async () => (await countDone(server.client)) === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `the sweep to be done\n${server.child.stderr}`,
    });
    await server.child.waitForOutput(/no task waits \(0 running, 0 pending\)/, 30_000);
    expect(server.child.stderr.match(/submitted job/g)).toHaveLength(1);
    // Slurm starts a job when its scheduler next looks: the waits above bound each step, not this.
  }, 150_000);

  it('a restarted server knows the jobs it submitted and does not submit them again', async () => {
    scene = new Scene();
    const port = await freePort();
    const file = allocFile(scene, port, { slots: 1, maxWorkers: 1 });
    const args = ['-p', 'sweep.long', '--slurm-alloc', file];
    const env = { ...slurm.env, SWEEP_MS: '120000' };
    const first = await scene.server(args, { port, env });
    await first.child.waitForOutput(/submitted job \d+/, 30_000);
    await first.child.waitForOutput(/3 tasks wait; at --max-workers 1 \(1 running, 0 pending\)/, 30_000);
    await first.child.kill9();
    const second = await scene.server(args, { port, env });
    await second.child.waitForOutput(/tasks wait; at --max-workers 1 \(1 running, 0 pending\)/, 30_000);
    expect(second.child.stderr).not.toMatch(/submitted job/);
  }, 120_000);

  it('says when a job it submitted asks for more than a node has and will not start', async () => {
    scene = new Scene();
    const port = await freePort();
    const cpus = Number((await slurm.run('sinfo', ['-h', '-o', '%c'])).trim());
    const file = allocFile(scene, port, { slots: cpus + 1, maxWorkers: 1 });
    const server = await scene.server(['-p', 'sweep.small', '--slurm-alloc', file], { port, env: slurm.env });
    await server.child.waitForOutput(
      /5 tasks wait; 1 worker is pending in Slurm's queue \(0 running, 1 pending\); job \d+\S* pending \(\w+\): it asks for more than a node of its partition has/,
      30_000,
    );
  }, 60_000);

  it.skipIf(noBrowser !== undefined)(
    "the dashboard shows the allocator's jobs, pending then running, and its last decision",
    async () => {
      scene = new Scene();
      const port = await freePort();
      const file = allocFile(scene, port, { slots: 1, maxWorkers: 1 });
      const env = { ...slurm.env, SWEEP_MS: '120000' };
      const server = await scene.server(['-p', 'sweep.long', '--slurm-alloc', file], { port, env });
      const [, jobId] = await server.child.waitForOutput(/submitted job (\d+)/, 30_000);
      const browser = await launchChromium();
      scene.defer(() => browser.close());
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await page.locator('#allocation').waitFor({ state: 'visible' });
      const job = page.locator(`#alloc-jobs tr[data-job="${jobId}"]`);
      // Submitted, the job first waits in Slurm's queue, then its worker starts.
      await job
        .locator('td.state')
        .filter({ hasText: /^1 (pending|running)$/ })
        .waitFor();
      // Slurm starts it when its scheduler next looks, once the jobs of the tests before are gone.
      await job
        .locator('td.state')
        .filter({ hasText: /^1 running$/ })
        .waitFor({ timeout: 60_000 })
        .catch(async (error: Error) => {
          const squeue = await slurm.run('squeue', ['-a']);
          throw new Error(`${error.message}\n${await page.locator('#allocation').textContent()}\n${squeue}`);
        });
      expect(await job.locator('td:nth-child(2)').textContent()).toBe('1');
      await page
        .locator('#alloc-reason')
        .filter({ hasText: '3 tasks wait; at --max-workers 1 (1 running, 0 pending)' })
        .waitFor({ timeout: 30_000 });
      expect(await page.locator('#alloc-jobs tbody tr').count()).toBe(1);
    },
    120_000,
  );
});
