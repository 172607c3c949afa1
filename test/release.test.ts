/**
 * Releases: the four published packages are versioned together (changesets' `fixed`, see
 * docs/releasing.md). `changeset version` runs on a copy of the workspace's manifests with one
 * changeset that names one package.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { sh } from './pack/_consumers.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const changeset = join(repoRoot, 'node_modules/@changesets/cli/bin.js');
const temp = makeTempDir('bottle-release-');
afterAll(() => temp.remove());

const PUBLISHED = ['protocol', 'server', 'worker', 'cli'];
const PRIVATE = ['packages/test-utils', 'examples', 'bench', 'test/pack'];

function manifest(root: string, dir: string): { version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
}

describe('changesets', () => {
  it('a minor change to @bottle/protocol releases all four packages at its new version, and no private one', async () => {
    const root = temp.path;
    for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset']) {
      cpSync(join(repoRoot, file), join(root, file), { recursive: true });
    }
    for (const name of readdirSync(join(root, '.changeset'))) {
      if (name.endsWith('.md') && name !== 'README.md') rmSync(join(root, '.changeset', name));
    }
    const dirs = [...PUBLISHED.map((name) => `packages/${name}`), ...PRIVATE];
    for (const dir of dirs) {
      mkdirSync(join(root, dir), { recursive: true });
      for (const file of ['package.json', 'CHANGELOG.md']) {
        if (existsSync(join(repoRoot, dir, file))) cpSync(join(repoRoot, dir, file), join(root, dir, file));
      }
    }
    const before = Object.fromEntries(dirs.map((dir) => [dir, manifest(root, dir).version]));
    const versions = new Set(PUBLISHED.map((name) => before[`packages/${name}`]));
    expect(versions.size).toBe(1);
    const [major, minor] = (before['packages/protocol'] as string).split('.').map(Number) as [number, number];
    const next = `${major}.${minor + 1}.0`;

    writeFileSync(
      join(root, '.changeset/one-change.md'),
      '---\n"@bottle/protocol": minor\n---\n\nA new parameter-set operator.\n',
    );
    await sh(process.execPath, [changeset, 'version'], root);

    for (const name of PUBLISHED) {
      expect(`${name} ${manifest(root, `packages/${name}`).version}`).toBe(`${name} ${next}`);
      const changelog = readFileSync(join(root, 'packages', name, 'CHANGELOG.md'), 'utf8');
      expect(changelog).toMatch(new RegExp(`^# @bottle/${name}\\n\\n## ${next.replaceAll('.', '\\.')}\\n`));
    }
    expect(readFileSync(join(root, 'packages/protocol/CHANGELOG.md'), 'utf8')).toContain(
      'A new parameter-set operator.',
    );
    // Between workspace packages the range stays `workspace:^`: pnpm publish writes the version.
    expect(manifest(root, 'packages/server').dependencies?.['@bottle/protocol']).toBe('workspace:^');
    for (const dir of PRIVATE) expect(`${dir} ${manifest(root, dir).version}`).toBe(`${dir} ${before[dir]}`);
  });
});
