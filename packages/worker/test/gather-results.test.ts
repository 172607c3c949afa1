import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskInfo } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRows } from '../src/gather/format.js';
import { readLocalResults } from '../src/gather/local-results.js';
import { type ResultRow, resultRows } from '../src/gather/results.js';

function task(partial: Partial<TaskInfo> & { params: TaskInfo['params'] }): TaskInfo {
  return {
    key: 'f'.repeat(64),
    task: 'examples/dummy.task',
    paramsHash: 'e'.repeat(64),
    scan: 'test',
    state: 'done',
    attempts: 1,
    chargedAttempts: 1,
    maxAttempts: 3,
    timeoutMs: null,
    createdAt: 0,
    updatedAt: 0,
    notBefore: null,
    workerId: 'w1',
    host: 'box1',
    leaseExpiresAt: null,
    startedAt: 1000,
    finishedAt: 3500,
    result: null,
    error: null,
    ...partial,
  };
}

describe('resultRows', () => {
  it('puts parameters first (union, first seen), then state, attempts, duration, host, then result fields', async () => {
    const rows = await resultRows([
      task({ params: { a: 1, b: 'x' }, result: { loss: 0.5, acc: 0.9 } }),
      task({ params: { x: 1000 }, state: 'failed', attempts: 3, host: null, finishedAt: null, result: 42 }),
      task({
        params: { b: 'y', a: 2 },
        state: 'queued',
        startedAt: null,
        finishedAt: null,
        result: { extra: [1, 2] },
      }),
    ]);
    expect(rows).toEqual([
      {
        a: 1,
        b: 'x',
        x: null,
        state: 'done',
        attempts: 1,
        duration: 2.5,
        host: 'box1',
        loss: 0.5,
        acc: 0.9,
        result: null,
        extra: null,
      },
      {
        a: null,
        b: null,
        x: 1000,
        state: 'failed',
        attempts: 3,
        duration: null,
        host: null,
        loss: null,
        acc: null,
        result: 42,
        extra: null,
      },
      {
        a: 2,
        b: 'y',
        x: null,
        state: 'queued',
        attempts: 1,
        duration: null,
        host: 'box1',
        loss: null,
        acc: null,
        result: null,
        extra: [1, 2],
      },
    ]);
    expect(Object.keys(rows[0]!)).toEqual([
      'a',
      'b',
      'x',
      'state',
      'attempts',
      'duration',
      'host',
      'loss',
      'acc',
      'result',
      'extra',
    ]);
  });

  it('renames clashing names instead of losing values', async () => {
    const rows = await resultRows([task({ params: { host: 'p', a: 1 }, result: { a: 'r', state: 'ok' } })]);
    expect(rows[0]).toEqual({
      'params.host': 'p',
      a: 1,
      state: 'done',
      attempts: 1,
      duration: 2.5,
      host: 'box1',
      'result.a': 'r',
      'result.state': 'ok',
    });
  });

  it('reads result.json when the run returned nothing', async () => {
    const rows = await resultRows(
      [task({ params: { a: 1 } }), task({ params: { a: 2 }, result: { from: 'run' } })],
      {
        readResultJson: async (t) => (t.params.a === 1 ? { from: 'file' } : { from: 'never read' }),
      },
    );
    expect(rows.map((row) => row.from)).toEqual(['file', 'run']);
  });
});

describe('readLocalResults', () => {
  let sandbox: { path: string; remove: () => void };
  beforeEach(() => {
    sandbox = makeTempDir('bottle-gather-results-');
  });
  afterEach(() => sandbox.remove());

  function output(hash: string, files: Record<string, string>) {
    mkdirSync(join(sandbox.path, hash), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sandbox.path, hash, name), text);
  }

  it('builds the same rows from a folder of output directories', async () => {
    output('1'.repeat(64), {
      'params.json': '{"a":1,"b":"x"}',
      // The runner's status.json shape (TaskStatusFile): ISO times, `attempt`, `endedAt`.
      'status.json': JSON.stringify({
        state: 'done',
        attempt: 2,
        host: 'h1',
        workerId: 'w',
        startedAt: '2026-11-28T05:00:00.000Z',
        endedAt: '2026-11-28T05:00:01.000Z',
        exitCode: 0,
      }),
      'result.json': '{"loss":0.25}',
    });
    output('2'.repeat(64), {
      'params.json': '{"a":2,"b":"y"}',
      'status.json': JSON.stringify({
        state: 'failed',
        attempt: 1,
        host: 'h2',
        startedAt: 1000,
        endedAt: null,
      }),
      'result.json': '{"loss": 0.5, "trunc', // still being written: ignored
    });
    output('not-a-hash', { 'params.json': '{"z":1}' });
    output('3'.repeat(64), { 'stdout.log': 'no params, no status' });
    expect(await readLocalResults(sandbox.path)).toEqual([
      { a: 1, b: 'x', state: 'done', attempts: 2, duration: 1, host: 'h1', loss: 0.25 },
      { a: 2, b: 'y', state: 'failed', attempts: 1, duration: null, host: 'h2', loss: null },
    ]);
  });
});

describe('formatRows', () => {
  const rows: ResultRow[] = [
    { name: 'plain', n: 1, note: 'a,b', nested: { k: [1, 2] }, empty: null },
    { name: 'quote "q"', n: 22.5, note: 'line1\nline2', nested: true, empty: null },
  ];

  it('csv quotes commas, quotes and line breaks (RFC 4180, CRLF)', () => {
    expect(formatRows(rows, 'csv')).toBe(
      'name,n,note,nested,empty\r\n' +
        'plain,1,"a,b","{""k"":[1,2]}",\r\n' +
        '"quote ""q""",22.5,"line1\nline2",true,\r\n',
    );
  });

  it('json and jsonl round-trip the rows', () => {
    expect(JSON.parse(formatRows(rows, 'json'))).toEqual(rows);
    const lines = formatRows(rows, 'jsonl').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(rows);
  });

  it('table aligns columns, numbers to the right', () => {
    expect(formatRows(rows, 'table')).toBe(
      [
        'name          n  note         nested       empty',
        '---------  ----  -----------  -----------  -----',
        'plain         1  a,b          {"k":[1,2]}',
        'quote "q"  22.5  line1 line2  true',
        '',
      ].join('\n'),
    );
  });

  it('table fits a terminal width, cutting long cells with an ellipsis', () => {
    const wide: ResultRow[] = [{ id: 7, text: 'x'.repeat(200), other: 'y'.repeat(50) }];
    const text = formatRows(wide, 'table', { width: 60 });
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines[2]).toMatch(/^ 7 {2}x+… {2}y+…$/);
    expect(formatRows(wide, 'table')).toContain('x'.repeat(200));
  });

  it('renders nothing for no rows, and refuses an unknown format', () => {
    expect(formatRows([], 'csv')).toBe('');
    expect(formatRows([], 'table')).toBe('');
    expect(formatRows([], 'json')).toBe('[]\n');
    expect(() => formatRows(rows, 'xml' as never)).toThrow(TypeError);
  });
});
