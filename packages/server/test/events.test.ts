/**
 * The event log: each event a real server emits, written by pino as JSON lines and as pretty
 * lines. The events are caused for real: claims, failures, silent workers, expired leases, a report
 * on a lost lease, a refused token, a scan that finishes.
 */
import { Writable } from 'node:stream';
import { createEventLog, type LogFormat } from '@bottle/server';
import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { specs, startTestServer, type TestServer } from './helpers.js';

const TOKEN = 'sesame';
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function sink() {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      partial += String(chunk);
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      callback();
    },
  });
  return { stream, lines };
}

async function causeEveryEvent(format: LogFormat) {
  const out = sink();
  const log = createEventLog({ format, destination: out.stream, colorize: false });
  t = await startTestServer({
    token: TOKEN,
    leaseMs: 1_500,
    heartbeatMs: 500,
    expiryCheckMs: 50,
    staleWorkerMs: 300,
    maxAttempts: 3,
    ...log,
  });
  const server = t;
  const call = (method: string, path: string, body?: unknown) =>
    server.call(method, path, body, { token: TOKEN });
  const seen = (text: string) => waitFor(() => out.lines.some((line) => line.includes(text)), { what: text });

  expect((await server.call('GET', '/v1/scans')).status).toBe(401);
  await call('POST', '/v1/tasks', { scan: 'sweep', tasks: specs(3) });
  const claimed = (await call('POST', '/v1/claim', { workerId: 'w1', host: 'box-1', max: 2, waitMs: 0 })).body
    .tasks;
  const [broken, held] = claimed;
  await call('POST', '/v1/report', {
    workerId: 'w1',
    reports: [
      {
        outcome: 'failed',
        key: broken.key,
        leaseToken: broken.leaseToken,
        error: 'out of memory',
        retryable: false,
      },
    ],
  });
  await seen('silent for');
  await seen('expired');
  await seen('left');
  await call('POST', '/v1/report', {
    workerId: 'w1',
    reports: [{ outcome: 'done', key: held.key, leaseToken: held.leaseToken }],
  });
  const rest = (await call('POST', '/v1/claim', { workerId: 'w2', host: 'box-2', max: 5, waitMs: 0 })).body
    .tasks;
  await call('POST', '/v1/report', {
    workerId: 'w2',
    reports: rest.map((task: { key: string; leaseToken: string }) => ({
      outcome: 'done',
      key: task.key,
      leaseToken: task.leaseToken,
    })),
  });
  await seen('finished');
  return {
    lines: out.lines,
    url: server.url,
    db: server.db,
    broken: broken.key as string,
    held: held.key as string,
  };
}

describe('server event log', () => {
  it('writes one JSON line per event, with its fields', async () => {
    const run = await causeEveryEvent('json');
    const events = run.lines.map((line) => JSON.parse(line));
    const find = (type: string) => {
      const found = events.find((entry) => entry.event === type);
      expect(found, `a ${type} line`).toBeDefined();
      return found;
    };
    expect(find('server.started')).toMatchObject({ level: 30, url: run.url, db: run.db });
    expect(find('token.refused')).toMatchObject({
      level: 40,
      method: 'GET',
      path: '/v1/scans',
      reason: 'missing',
    });
    expect(find('scan.submitted')).toMatchObject({ scans: ['sweep'], created: 3 });
    expect(find('worker.joined')).toMatchObject({ workerId: 'w1', host: 'box-1' });
    expect(find('task.failed')).toMatchObject({
      key: run.broken,
      workerId: 'w1',
      retryable: false,
      error: 'out of memory',
    });
    expect(find('worker.stale')).toMatchObject({ workerId: 'w1', running: 1 });
    expect(find('lease.expired')).toMatchObject({ scan: 'sweep', count: 1 });
    expect(find('worker.left')).toMatchObject({ workerId: 'w1' });
    expect(find('lease.lost')).toMatchObject({ workerId: 'w1', keys: [run.held] });
    expect(find('scan.finished')).toMatchObject({ scan: 'sweep', total: 3, counts: { done: 2, failed: 1 } });
    for (const entry of events) expect(typeof entry.msg).toBe('string');
  });

  it('writes one readable line per event in the pretty format', async () => {
    const run = await causeEveryEvent('pretty');
    const text = run.lines.join('\n');
    for (const line of run.lines) expect(line.startsWith('{')).toBe(false);
    expect(text).toMatch(
      new RegExp(`INFO.*listening on .*workers connect to ${run.url}; queue in ${run.db}\\)`),
    );
    expect(text).toMatch(/WARN.*refused GET \/v1\/scans from \S+: no token/);
    expect(text).toMatch(/INFO.*scan sweep submitted: 3 new, 0 already known, 0 requeued/);
    expect(text).toMatch(/INFO.*worker w1 joined from box-1/);
    expect(text).toMatch(new RegExp(`WARN.*task ${run.broken.slice(0, 12)} failed on w1: out of memory`));
    expect(text).toMatch(/WARN.*worker w1 on box-1 silent for \d+s with 1 tasks in hand/);
    expect(text).toMatch(/WARN.*1 lease\(s\) of scan sweep expired/);
    expect(text).toMatch(/INFO.*worker w1 on box-1 left/);
    expect(text).toMatch(new RegExp(`WARN.*worker w1 lost 1 lease\\(s\\) \\(${run.held.slice(0, 12)}\\)`));
    expect(text).toMatch(/WARN.*scan sweep finished: 2 done, 1 failed, 0 cancelled of 3/);
  });
});
