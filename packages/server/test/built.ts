/** Child-process tests run the built dist/: build it when missing or older than the sources. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Rebuilds @bottle/protocol and @bottle/server when their dist is stale (`pnpm test` builds anyway). */
export function ensureBuilt(): void {
  const dist = join(packageDir, 'dist', 'index.js');
  const protocolDir = join(packageDir, '..', 'protocol');
  const protocolDist = join(protocolDir, 'dist', 'index.js');
  const stale = (file: string, src: string) => !existsSync(file) || statSync(file).mtimeMs < newestMtime(src);
  if (stale(protocolDist, join(protocolDir, 'src')) || stale(dist, join(packageDir, 'src'))) {
    const built = spawnSync('pnpm', ['--filter', '@bottle/protocol', '--filter', '@bottle/server', 'build'], {
      cwd: packageDir,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  }
}
