/**
 * A search's scan on the web dashboard, in a real browser (Debian's chromium driven by playwright-core)
 * against a real bottle-server: the scan records its objective, and the page shows the best result so
 * far, charts the objective of each done task in finishing order with the running best, and marks on
 * the results-versus-parameter plot the proposed sets that have no result yet. A plain scan shows none
 * of it. Skipped, saying why, where chromium is missing.
 */
import { existsSync } from 'node:fs';
import { hashParams, type JsonValue } from '@bottle/protocol';
import { BottleClient } from '@bottle/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

const CHROMIUM = process.env.BOTTLE_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  console.warn(
    `dashboard search tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set BOTTLE_CHROMIUM)`,
  );
}

let scene: Scene;
let browser: Browser;
let page: Page;
let url: string;

/** Results reported, in this order: x = 2's has no loss, so it has no value. */
const REPORTED: Array<[number, JsonValue]> = [
  [3, { loss: 4 }],
  [0, { loss: 9 }],
  [1, { loss: 1 }],
  [2, { note: 'no loss' }],
];

beforeAll(async () => {
  if (!available) return;
  scene = new Scene();
  const server = await scene.server();
  url = server.url;
  const client = new BottleClient({ server: url });
  scene.defer(() => client.close());
  await client.submit([{ task: 'sweep.Task', params: { n: 1 } }], { scan: 'plain' });
  // As a search's controller submits: its sets, and its objective.
  await client.submit(
    [0, 1, 2, 3, 4, 5].map((x) => ({ task: 'sweep.Task', params: { x } })),
    { scan: 'steps', objective: { minimize: 'loss' } },
  );
  // Acting as a worker: four of the six end, one report each, in the order above; x = 4 and 5 stay running.
  const { tasks } = await client.claim({ workerId: 'by-hand', host: 'test', max: 7, waitMs: 0 });
  for (const [x, result] of REPORTED) {
    const task = tasks.find((t) => t.scan === 'steps' && t.params['x'] === x);
    if (!task) throw new Error(`no task x = ${x} was claimed`);
    await client.report('by-hand', [{ outcome: 'done', key: task.key, leaseToken: task.leaseToken, result }]);
    // Finish times are kept to the millisecond: one apart, so that the finishing order is certain.
    const at = (await client.getTask(task.key)).task.finishedAt;
    while (Date.now() <= (at ?? 0)) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
});

afterAll(async () => {
  await browser?.close();
  await scene?.close();
});

/** The data of the uPlot chart drawn in the element `id` (the page keeps it on the element). */
const chartData = (id: string) =>
  page.evaluate((holder) => {
    const dom = globalThis as unknown as {
      document: { getElementById(id: string): { chart?: { data: unknown } } };
    };
    return dom.document.getElementById(holder).chart?.data;
  }, id);

const selectScan = async (name: string) => {
  await page.locator(`#scans tr[data-scan="${name}"] a`).click();
  await page
    .locator('#chart-scan')
    .filter({ hasText: new RegExp(`^${name}$`) })
    .waitFor();
};

describe.skipIf(!available)("a search's scan on the dashboard", () => {
  it('shows the best so far and charts the objective over time, with the running best', async () => {
    await page.goto(`${url}/`);
    await page.locator('#live').filter({ hasText: 'live' }).waitFor();
    await selectScan('steps');
    const best = page.locator('#search-best');
    await best.filter({ hasText: 'minimize loss: best 1 at {"x":1}' }).waitFor();
    expect(await best.textContent()).toContain(`output ${hashParams({ x: 1 }).slice(0, 12)}), 3 told`);
    await page.locator('#objective canvas').waitFor();
    // Done tasks with a value in finishing order (x = 3, 0, 1), and the best so far after each.
    expect(await chartData('objective')).toEqual([
      [1, 2, 3],
      [4, 9, 1],
      [4, 4, 1],
    ]);
  });

  it('marks on the results-versus-parameter plot the proposed sets with no result yet', async () => {
    await page.locator('#scatter canvas').waitFor();
    expect(await page.inputValue('#scatter-x')).toBe('x');
    expect(await page.inputValue('#scatter-y')).toBe('loss');
    // Done sets at their loss; x = 4 and 5, still running, marked along the bottom (the lowest loss).
    expect(await chartData('scatter')).toEqual([
      [0, 1, 3, 4, 5],
      [9, 1, 4, null, null],
      [null, null, null, 1, 1],
    ]);
    expect(await page.locator('#scatter .u-legend').textContent()).toContain('proposed, no result yet');
  });

  it('shows none of it for a scan without an objective', async () => {
    await selectScan('plain');
    await expect.poll(() => page.locator('#search-best').isHidden(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#objective-figure').isHidden()).toBe(true);
  });
});
