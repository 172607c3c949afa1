import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBottleError } from '@bottle/protocol';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScan, loadTaskModule, resolveModuleSpec } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const temp = makeTempDir();
afterAll(() => temp.remove());

const root = join(temp.path, 'root');
const outside = join(temp.path, 'outside');
mkdirSync(join(root, 'sub'), { recursive: true });
mkdirSync(outside, { recursive: true });
writeFileSync(
  join(root, 'sub', 'mod.ts'),
  'export const a = 1;\nexport class Task { run() { return 1; } }\n',
);
writeFileSync(join(outside, 'evil.ts'), 'export const Task = 1;\n');
symlinkSync(join(outside, 'evil.ts'), join(root, 'link.ts'));
symlinkSync(outside, join(root, 'linkdir'));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isBottleError(error) ? error.code : `not a BottleError: ${String(error)}`;
  }
  return undefined;
}

describe('resolveModuleSpec', () => {
  it('resolves a spec inside the root, trying extensions', () => {
    const resolved = resolveModuleSpec('./sub/mod.Task', root);
    expect(resolved.module).toBe('sub/mod');
    expect(resolved.exportName).toBe('Task');
    expect(resolved.file.endsWith(join('sub', 'mod.ts'))).toBe(true);
    expect(resolveModuleSpec('sub/mod.ts.Task', root).file).toBe(resolved.file);
  });

  it('refuses an absolute path', () => {
    expect(codeOf(() => resolveModuleSpec(`${join(root, 'sub', 'mod')}.Task`, root))).toBe(
      'ERR_MODULE_OUTSIDE_ROOT',
    );
  });

  it('refuses a .. escape, also one that comes back inside', () => {
    expect(codeOf(() => resolveModuleSpec('../outside/evil.Task', root))).toBe('ERR_MODULE_OUTSIDE_ROOT');
    expect(codeOf(() => resolveModuleSpec('sub/../../outside/evil.Task', root))).toBe(
      'ERR_MODULE_OUTSIDE_ROOT',
    );
  });

  it('refuses a symlink (file or directory) pointing out of the root', () => {
    expect(codeOf(() => resolveModuleSpec('link.Task', root))).toBe('ERR_MODULE_OUTSIDE_ROOT');
    expect(codeOf(() => resolveModuleSpec('linkdir/evil.Task', root))).toBe('ERR_MODULE_OUTSIDE_ROOT');
  });

  it('says which file is missing', () => {
    expect(codeOf(() => resolveModuleSpec('sub/nope.Task', root))).toBe('ERR_MODULE_NOT_FOUND');
    expect(() => resolveModuleSpec('sub/nope.Task', root)).toThrow(/sub\/nope\.ts/);
    expect(codeOf(() => resolveModuleSpec('noexport', root))).toBe('ERR_MODULE_NOT_FOUND');
  });
});

describe('loadTaskModule', () => {
  it('loads TypeScript through jiti and JavaScript natively', async () => {
    const ts = await loadTaskModule('tasks.Task', fixtures);
    expect(typeof ts.value).toBe('function');
    const js = await loadTaskModule('plain.Task', fixtures);
    expect(js.resolved.file.endsWith('plain.mjs')).toBe(true);
    expect(typeof js.value).toBe('function');
  });

  it('lists the exports when the export is missing', async () => {
    const error = await loadTaskModule('sub/mod.Nope', root).catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_EXPORT_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/has no export "Nope"; it exports: Task, a/);
  });
});

describe('loadScan', () => {
  it('runs the scan export with the module Task', async () => {
    const scan = await loadScan('tasks.scan', { root: fixtures });
    expect(scan).toMatchObject({ name: 'scan', task: 'tasks.Task', size: 3 });
    expect([...(scan.specs as Iterable<unknown>)]).toEqual([
      { task: 'tasks.Task', params: { n: 1 }, scan: 'scan' },
      { task: 'tasks.Task', params: { n: 2 }, scan: 'scan' },
      { task: 'tasks.Task', params: { n: 3 }, scan: 'scan' },
    ]);
  });

  it('takes the ParamSet name and a task the scan names', async () => {
    writeFileSync(
      join(root, 'named.ts'),
      "import { pset } from '@bottle/protocol';\n" +
        "export function scan() { return { task: 'other', params: pset('a', [1, 2]).named('mine') }; }\n" +
        'export const other = { run: () => 1 };\n',
    );
    // The temp root has no node_modules: give it the workspace's protocol package.
    mkdirSync(join(root, 'node_modules', '@bottle'), { recursive: true });
    symlinkSync(
      fileURLToPath(new URL('../../protocol', import.meta.url)),
      join(root, 'node_modules', '@bottle', 'protocol'),
    );
    const scan = await loadScan('named.scan', { root });
    expect(scan).toMatchObject({ name: 'mine', task: 'named.other', size: 2 });
  });

  it('refuses an export that is not a scan', async () => {
    const error = await loadScan('tasks.notATask', { root: fixtures }).catch((e: unknown) => e);
    expect(isBottleError(error, 'ERR_BAD_TASK_MODULE')).toBe(true);
  });
});
