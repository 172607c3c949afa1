/**
 * The layout of the store code: store/ holds the rules and imports no backend; sqlite/ and postgres/
 * hold their SQL and import nothing from each other; no circle of imports runs through them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Each source file (relative to src/) with the source files it imports. */
const graph = new Map(
  files(src).map((file) => {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/^(?:import|export)[^'"]*?from '(\.{1,2}\/[^']+)'/gm)].map((m) =>
      relative(src, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    return [relative(src, file), imports] as const;
  }),
);

const folder = (file: string) => file.split('/')[0];

describe('the store code', () => {
  it('keeps each backend to its own folder and the rules in store/', () => {
    const crossings: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const from = folder(file);
        const to = folder(target);
        if (from === 'store' && to !== 'store') crossings.push(`${file} -> ${target}`);
        if (from === 'sqlite' && to !== 'sqlite' && to !== 'store') crossings.push(`${file} -> ${target}`);
        if (from === 'postgres' && to !== 'postgres' && to !== 'store')
          crossings.push(`${file} -> ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('has no circle of imports through store/, sqlite/, postgres/ or queue/', () => {
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      for (const next of graph.get(file) ?? []) {
        const at = path.indexOf(next);
        if (at >= 0) circles.push([...path.slice(at), next].join(' -> '));
        else if (path.length < 50) visit(next, [...path, next]);
      }
    };
    for (const file of graph.keys()) {
      if (['store', 'sqlite', 'postgres', 'queue'].includes(folder(file)!)) visit(file, [file]);
    }
    expect([...new Set(circles)]).toEqual([]);
  });
});
