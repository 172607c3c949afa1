/**
 * `@bottle/worker/task` is the entry task modules import: loading it must not load the HTTP client,
 * SSH or jiti. A child `node` records every module it resolves (an ESM hook) and every CommonJS
 * module in its require cache while it imports the built entry.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnChild } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const dist = new URL('../dist/', import.meta.url);
const hook = new URL('./fixtures/record-imports.mjs', import.meta.url);
const heavy = ['got', 'ssh2', 'jiti'];

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The packages under node_modules that importing `entry` loads, by name. */
async function packagesLoadedBy(entry: string): Promise<Set<string>> {
  dir = mkdtempSync(join(tmpdir(), 'bottle-task-entry-'));
  const log = join(dir, 'resolved.txt');
  const script = [
    `import { register, createRequire } from 'node:module';`,
    `register(${JSON.stringify(hook.href)}, { data: { log: ${JSON.stringify(log)} } });`,
    `const entry = await import(${JSON.stringify(new URL(entry, dist).href)});`,
    `if (typeof entry.loadScan !== 'function') throw new Error('no loadScan export');`,
    `console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
  ].join('\n');
  const child = spawnChild(process.execPath, ['--input-type=module', '-e', script]);
  expect(await child.exited, child.stderr).toBe(0);
  const cached = JSON.parse(child.stdout) as string[];
  const resolved = readFileSync(log, 'utf8').split('\n');
  const names = new Set<string>();
  for (const where of [...cached.map((file) => pathToFileURL(file).href), ...resolved]) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(where);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

describe('@bottle/worker/task', () => {
  it('loads neither got, ssh2 nor jiti', async () => {
    const loaded = await packagesLoadedBy('task.js');
    for (const name of heavy) expect(loaded, `${name} was loaded`).not.toContain(name);
  });

  it('is lighter than the whole package, which the same check sees loading got and ssh2', async () => {
    const loaded = await packagesLoadedBy('index.js');
    expect(loaded).toContain('got');
    expect(loaded).toContain('ssh2');
  });
});
