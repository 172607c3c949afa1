/**
 * The test vectors in docs/protocol.md are the contract other languages implement:
 * every row is checked byte for byte, so the page cannot drift from the code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashParams, taskKey } from './hash.js';

const page = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const section = page.slice(page.indexOf('### Test vectors'));
const row = /^\|\s*([^|`]+?)\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`([0-9a-f]{64})`\s*\|$/;
const vectors = section
  .split('\n')
  .map((line) => row.exec(line))
  .filter((match) => match !== null)
  .map(([, what, input, canonical, digest]) => ({
    what: what!,
    input: input!,
    canonical: canonical!,
    digest: digest!,
  }));

describe('docs/protocol.md test vectors', () => {
  it('has the table, with at least 8 rows and a task key, each row well formed', () => {
    const tableLines = section.split('\n').filter((line) => line.startsWith('|'));
    // Every line of the table but the header and its rule must parse, so no row is skipped unseen.
    expect(vectors.length).toBe(tableLines.length - 2);
    expect(vectors.length).toBeGreaterThanOrEqual(8);
    expect(vectors.some((v) => v.what === 'task key')).toBe(true);
  });

  it.each(vectors.map((v) => [v.what, v] as const))('%s', (what, v) => {
    const value: unknown = JSON.parse(v.input);
    expect(canonicalJson(value)).toBe(v.canonical);
    expect(createHash('sha256').update(Buffer.from(v.canonical, 'utf8')).digest('hex')).toBe(v.digest);
    if (what === 'task key') {
      const { task, params } = value as { task: string; params: Record<string, unknown> };
      expect(taskKey(task, params)).toBe(v.digest);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      expect(hashParams(value as Record<string, unknown>)).toBe(v.digest);
    }
  });
});
