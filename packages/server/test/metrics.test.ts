/** `/metrics`: the exposition text parsed by a Prometheus parser, each value checked against the store. */
import { ManualClock, waitFor } from '@bottle/test-utils';
// @ts-expect-error: the parser ships no types; its output is checked below.
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, startTestServer, type TestServer } from './helpers.js';

interface Family {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
  }[];
}

const TOKEN = 'sesame';
let t: TestServer;
afterEach(async () => {
  await t.close();
});

/**
 * The parser checks every line and reads the counters and gauges; it flattens histograms as if they
 * had no labels, so those are read from their `_count` lines in the text.
 */
async function scrape(): Promise<{ families: Map<string, Family>; text: string }> {
  const response = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = parsePrometheus(text) as Family[];
  return { families: new Map(families.map((family) => [family.name, family])), text };
}

const histogramCount = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
};

const value = (family: Family | undefined, labels: Record<string, string> = {}) =>
  Number(
    family?.metrics.find((metric) => Object.entries(labels).every(([k, v]) => metric.labels?.[k] === v))
      ?.value ?? Number.NaN,
  );

describe('GET /metrics', () => {
  it('needs the token like every route', async () => {
    t = await startTestServer({ token: TOKEN });
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
  });

  it('counts tasks by scan and state, claims, completions, failures, workers and requests as the store does', async () => {
    const clock = new ManualClock();
    t = await startTestServer({
      token: TOKEN,
      leaseMs: 600,
      heartbeatMs: 200,
      expiryCheckMs: 50,
      maxAttempts: 5,
      clock,
    });
    const call = (method: string, path: string, body?: unknown) =>
      t.call(method, path, body, { token: TOKEN });
    await call('POST', '/v1/tasks', { scan: 'a', tasks: specs(6) });
    await call('POST', '/v1/tasks', { scan: 'b', tasks: specs(2, {}, 'examples/other.task') });
    const { tasks } = (await call('POST', '/v1/claim', { workerId: 'w1', host: 'h', max: 5, waitMs: 0 }))
      .body;
    const reports = tasks
      .slice(0, 4)
      .map((task: { key: string; leaseToken: string }, i: number) =>
        i < 2
          ? { outcome: 'done', key: task.key, leaseToken: task.leaseToken }
          : { outcome: 'failed', key: task.key, leaseToken: task.leaseToken, error: 'x', retryable: i === 2 },
      );
    await call('POST', '/v1/report', { workerId: 'w1', reports });
    // The fifth lease runs out: the sweep expires it, and the monitor's next read counts it.
    clock.advance(600);
    await waitFor(async () => (await call('GET', '/v1/scans/a')).body.lostAttempts === 1, {
      what: 'the expiry',
    });
    clock.advance(1_000);

    const { families: metrics, text } = await scrape();
    const scans = (await call('GET', '/v1/scans')).body.scans as {
      name: string;
      counts: Record<string, number>;
    }[];
    for (const scan of scans) {
      for (const [state, n] of Object.entries(scan.counts)) {
        expect(value(metrics.get('bottle_tasks'), { scan: scan.name, state }), `${scan.name} ${state}`).toBe(
          n,
        );
      }
    }
    expect(value(metrics.get('bottle_claims_total'))).toBe(5);
    expect(value(metrics.get('bottle_completions_total'))).toBe(2);
    expect(value(metrics.get('bottle_failures_total'), { retryable: 'true' })).toBe(1);
    expect(value(metrics.get('bottle_failures_total'), { retryable: 'false' })).toBe(1);
    expect(value(metrics.get('bottle_lease_expiries_total'))).toBe(1);
    const workers = (await call('GET', '/v1/workers')).body.workers as { state: string }[];
    expect(value(metrics.get('bottle_workers'), { state: 'alive' })).toBe(
      workers.filter((w) => w.state === 'alive').length,
    );
    expect(metrics.get('bottle_task_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(histogramCount(text, 'bottle_task_duration_seconds_count{outcome="done"}')).toBe(2);
    expect(histogramCount(text, 'bottle_task_duration_seconds_count{outcome="failed"}')).toBe(2);
    expect(metrics.get('bottle_claim_wait_seconds')?.metrics[0]?.count).toBe('1');
    const submits =
      'bottle_http_request_duration_seconds_count{method="POST",route="/v1/tasks",status="200"}';
    expect(histogramCount(text, submits)).toBe(2);
  });
});
