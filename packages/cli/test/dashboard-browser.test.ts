/**
 * The web dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * bottle-server and bottle-worker: token login, the event stream refused without it, cancel from the
 * page, filter and search, a log tail, a `<script>` parameter shown as text, and progress that moves
 * as the worker finishes tasks, without a reload. Skipped, saying why, where chromium is missing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BottleClient } from '@bottle/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from './_browser.js';
import { repoRoot, Scene } from './_e2e.js';

const skip = chromiumSkipReason();
const available = skip === undefined;
if (skip) console.warn(skip);

const TOKEN = 'open-sesame';
const XSS = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
let scene: Scene;
let browser: Browser;
let page: Page;
let url: string;
let client: BottleClient;

beforeAll(async () => {
  if (!available) return;
  scene = new Scene();
  const server = await scene.server(['--token', TOKEN]);
  url = server.url;
  client = new BottleClient({ server: url, token: TOKEN });
  scene.defer(() => client.close());
  await client.submit([{ task: 'sweep.Task', params: { n: 0, label: XSS } }], { scan: 'hostile' });
  await client.submit([{ task: 'sweep.Task', params: { n: 1, note: 'with logs' } }], { scan: 'logged' });
  // Acting as a worker for one task, so that its report carries log tails.
  const { tasks } = await client.claim({ workerId: 'by-hand', host: 'test', max: 2, waitMs: 0 });
  for (const task of tasks) {
    await client.report('by-hand', [
      {
        outcome: 'done',
        key: task.key,
        leaseToken: task.leaseToken,
        result: { n: 1 },
        logs: { stdout: `stdout of ${task.scan}\n`, stderr: '<b>not bold</b>\n' },
      },
    ]);
  }
  await client.submit(
    Array.from({ length: 24 }, (_, n) => ({ task: 'sweep.Task', params: { n, ms: 250 } })),
    { scan: 'live' },
  );
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
});

afterAll(async () => {
  await browser?.close();
  await scene?.close();
});

const cell = (scan: string, column: number) =>
  page.locator(`#scans tr[data-scan="${scan}"] td:nth-child(${column})`);

describe.skipIf(!available)('the dashboard in a browser', () => {
  it('asks for the token, and its event stream refuses without it', async () => {
    expect((await fetch(`${url}/v1/events`)).status).toBe(401);
    await page.goto(`${url}/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.evaluate(async () => (await fetch('v1/events')).status)).toBe(401);
    expect(await page.evaluate(async () => (await fetch('v1/scans')).status)).toBe(401);
    await page.fill('#token', 'wrong');
    await page.click('#login button');
    await page.locator('#login-error').filter({ hasText: 'wrong token' }).waitFor();
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#live').filter({ hasText: 'live' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'bottle_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(cookies.some((c) => c.value.includes(TOKEN))).toBe(false);
  });

  it('refuses an action without the dashboard header, even with the cookie', async () => {
    const status = await page.evaluate(async () => {
      const response = await fetch('v1/scans/live/cancel', { method: 'POST' });
      return response.status;
    });
    expect(status).toBe(401);
    expect((await client.getScan('live')).counts.cancelled).toBe(0);
  });

  it('shows a <script> parameter as text', async () => {
    await page.fill('#f-q', '<script>');
    await page.click('#filters button');
    const params = page.locator('#tasks td.params');
    await params.filter({ hasText: '<script>window.pwned' }).waitFor();
    // The table is redrawn when the filtered page arrives: until then it may still hold the old rows.
    await expect.poll(() => params.count(), { timeout: 15_000 }).toBe(1);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('cancels a task from the page', async () => {
    await page.fill('#f-q', '');
    await page.selectOption('#f-scan', 'live');
    await page.fill('#f-key', '');
    await page.click('#filters button');
    // A row of the filtered page, not one of the previous page still shown until the new one is drawn.
    const first = page
      .locator('#tasks tr.task')
      .filter({ hasText: '"ms":250' })
      .filter({ hasText: 'queued' })
      .first();
    await first.waitFor();
    const key = (await first.getAttribute('data-key')) as string;
    await first.click();
    await page.locator('#d-key').filter({ hasText: key }).waitFor();
    await page.click('#d-cancel');
    await page.locator('#d-state').filter({ hasText: 'cancelled' }).waitFor();
    expect((await client.getTask(key)).task.state).toBe('cancelled');
    await page.selectOption('#f-state', 'cancelled');
    await page.click('#filters button');
    await page
      .locator('#tasks tr.task')
      .filter({ hasText: key.slice(0, 12) })
      .waitFor();
    // The table is redrawn when the filtered page arrives: until then it may still hold the old rows.
    await expect.poll(() => page.locator('#tasks tr.task').count(), { timeout: 15_000 }).toBe(1);
  });

  it("shows a task's log tail, as text", async () => {
    await page.selectOption('#f-scan', 'logged');
    await page.selectOption('#f-state', '');
    await page.click('#filters button');
    await page.locator('#tasks tr.task').filter({ hasText: 'logged' }).first().click();
    await page.locator('#d-stdout').filter({ hasText: 'stdout of logged' }).waitFor();
    expect(await page.textContent('#d-stderr')).toBe('<b>not bold</b>\n');
    expect(await page.locator('#d-stderr b').count()).toBe(0);
  });

  it('shows progress moving live as a real worker finishes tasks', async () => {
    const seen = new Set<number>();
    seen.add(Number(await cell('live', 3).textContent()));
    const worker = scene.worker(url, ['-x', '2', '--token', TOKEN]);
    scene.defer(() => worker.kill9());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const done = Number(await cell('live', 3).textContent());
      seen.add(done);
      if (done === 23) break;
      if (Date.now() > deadline) throw new Error(`progress stuck; seen ${[...seen].join(', ')}`);
      await page.waitForTimeout(100);
    }
    // Without a reload, the page showed intermediate counts on the way to 23 done.
    expect([...seen].filter((n) => n > 0 && n < 23).length).toBeGreaterThan(0);
    expect(await cell('live', 9).textContent()).toBe('finished');
    // A server without --slurm-alloc shows no Slurm panel.
    expect(await page.locator('#allocation').isHidden()).toBe(true);
    await page.selectOption('#f-scan', 'live');
    await page.selectOption('#f-state', 'done');
    await page.click('#filters button');
    await page.locator('#chart-scan').filter({ hasText: 'live' }).waitFor();
    await page.locator('#throughput canvas').waitFor();
    // The picture in docs/ is renewed on request only, so that a test run leaves the checkout as it was.
    const docs = process.env['BOTTLE_UPDATE_SCREENSHOT'] ? join(repoRoot, 'docs') : scene.dir;
    mkdirSync(docs, { recursive: true });
    await page.screenshot({ path: join(docs, 'dashboard.png'), fullPage: true });
  });
});
