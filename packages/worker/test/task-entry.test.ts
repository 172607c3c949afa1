/**
 * `@bottle/worker/task` is the entry task modules import: loading it must not load the HTTP client,
 * SSH, jiti or the YAML parser. A child `node` records every module it resolves and every CommonJS
 * module it requires while it imports the built entry.
 */
import { type LoadRecorder, makeTempDir, recordLoads, spawnChild } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const dist = new URL('../dist/', import.meta.url);
const heavy = ['got', 'ssh2', 'jiti', 'yaml'];

const temp: Array<{ remove: () => void }> = [];
afterEach(() => {
  for (const dir of temp.splice(0)) dir.remove();
});

/** The packages under node_modules that importing `entry` loads, by name. */
async function packagesLoadedBy(entry: string): Promise<Set<string>> {
  const dir = makeTempDir('bottle-task-entry-');
  temp.push(dir);
  const recorder: LoadRecorder = recordLoads(dir.path);
  const script = [
    `const entry = await import(${JSON.stringify(new URL(entry, dist).href)});`,
    `if (typeof entry.loadScan !== 'function') throw new Error('no loadScan export');`,
  ].join('\n');
  const child = spawnChild(process.execPath, ['--input-type=module', '-e', script], { env: recorder.env });
  expect(await child.exited, child.stderr).toBe(0);
  return recorder.packages();
}

describe('@bottle/worker/task', () => {
  it('loads neither got, ssh2, jiti nor yaml', async () => {
    const loaded = await packagesLoadedBy('task.js');
    for (const name of heavy) expect(loaded, `${name} was loaded`).not.toContain(name);
  });

  it('is lighter than the whole package, which the same check sees loading got', async () => {
    const loaded = await packagesLoadedBy('index.js');
    expect(loaded).toContain('got');
    // SSH is a subpath of its own: the package's main entry does not load it either.
    expect(loaded).not.toContain('ssh2');
  });
});
