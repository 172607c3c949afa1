import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalog, errorCodes } from './errors.js';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
/** Table rows of docs/errors.md: `| `ERR_X` | status or — | ...`. */
const rows = [...page.matchAll(/^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map(
  ([, code, status]) => ({
    code: code!,
    status: status!,
  }),
);

describe('docs/errors.md', () => {
  it('lists exactly the codes of errorCatalog, each once', () => {
    const listed = rows.map((row) => row.code);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...errorCodes].sort());
  });

  it('gives each code the HTTP status of the catalog', () => {
    for (const { code, status } of rows) {
      const expected = errorCatalog[code as keyof typeof errorCatalog].status;
      expect(`${code} ${status}`).toBe(`${code} ${expected === undefined ? '—' : String(expected)}`);
    }
  });
});
