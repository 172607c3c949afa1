/**
 * The project's address is written once (the root package.json's repository.url);
 * scripts/package-meta.mjs writes what follows from it into the published packages. Here: the
 * repository is current, and in a copy whose address changed, the check names every file to
 * rewrite, the script rewrites them, and a dead or relative README link is refused.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { type Output, sh } from './pack/_consumers.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const script = join(repoRoot, 'scripts/package-meta.mjs');
const PUBLISHED = ['cli', 'protocol', 'server', 'worker'];
const temp = makeTempDir('bottle-package-meta-');
afterAll(() => temp.remove());

function meta(root: string, ...args: string[]): Promise<Output> {
  return sh(process.execPath, [script, '--root', root, ...args], root, { allowFailure: true });
}

/** The files the script reads and writes, copied; the root's address replaced by `url`. */
function copyRepository(name: string, url: string): string {
  const root = join(temp.path, name);
  cpSync(join(repoRoot, 'docs'), join(root, 'docs'), { recursive: true });
  for (const file of ['LICENSE', 'README.md']) cpSync(join(repoRoot, file), join(root, file));
  for (const name of [...PUBLISHED, 'test-utils']) {
    mkdirSync(join(root, 'packages', name), { recursive: true });
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      try {
        cpSync(join(repoRoot, 'packages', name, file), join(root, 'packages', name, file));
      } catch {
        // The private test-utils has no README, LICENSE or changelog.
      }
    }
  }
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  manifest.repository.url = url;
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return root;
}

describe('package metadata from the root package.json', () => {
  it('is current in this repository', async () => {
    const result = await meta(repoRoot, '--check');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('follows a new address everywhere after one run, and the check names what is out of date before', async () => {
    const root = copyRepository('moved', 'git+https://git.example.org/bottle-team/bottle.git');
    const stale = await meta(root, '--check');
    expect(stale.code).toBe(1);
    const named = stale.stderr
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim());
    expect(named.sort()).toEqual(
      PUBLISHED.flatMap((name) => [`packages/${name}/README.md`, `packages/${name}/package.json`]).sort(),
    );

    expect((await meta(root)).code).toBe(0);
    expect((await meta(root, '--check')).code).toBe(0);
    for (const name of PUBLISHED) {
      const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
      expect(manifest.repository).toEqual({
        type: 'git',
        url: 'git+https://git.example.org/bottle-team/bottle.git',
        directory: `packages/${name}`,
      });
      expect(manifest.homepage).toBe(
        `https://git.example.org/bottle-team/bottle/tree/main/packages/${name}#readme`,
      );
      expect(manifest.bugs).toEqual({ url: 'https://git.example.org/bottle-team/bottle/issues' });
      const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
      expect(readme).toContain('https://git.example.org/bottle-team/bottle/blob/main/docs/installing.md');
      expect(readme).not.toContain('github.com');
    }
  });

  it('refuses a README link that is relative, or names a file or heading the repository lacks', async () => {
    const root = copyRepository('dead-links', 'git+https://github.com/tasks-in-a-bottle/bottle.git');
    const readme = join(root, 'packages/protocol/README.md');
    const original = readFileSync(readme, 'utf8');
    const cases: [string, RegExp][] = [
      ['See [the guide](../../docs/protocol.md).', /relative link \]\(\.\.\/\.\.\/docs\/protocol\.md\)/],
      ['See [the guide][docs/nosuch.md].', /links docs\/nosuch\.md, which is not in the repository/],
      ['See [the guide][docs/installing.md#no-such-heading].', /docs\/installing\.md has no such heading/],
    ];
    for (const [line, message] of cases) {
      writeFileSync(readme, original.replace('License: MIT.', `License: MIT. ${line}`));
      const result = await meta(root, '--check');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });
});
