import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packageNames = ['protocol', 'server', 'worker', 'cli', 'test-utils'];
/** Subpath entries, with the source file each one is built from. */
const subpaths = {
  'server/postgres': 'server/src/postgres/index.ts',
  'worker/task': 'worker/src/task/index.ts',
  'worker/ssh': 'worker/src/ssh/index.ts',
  'worker/slurm': 'worker/src/slurm/index.ts',
  'worker/gather': 'worker/src/gather/index.ts',
  'worker/search': 'worker/src/search/index.ts',
};

export default defineConfig({
  resolve: {
    // In-process tests import workspace packages from their TypeScript sources; child processes run the built dist.
    // Subpath entries come first, so that `@bottle/worker/task` is not read as `@bottle/worker`.
    alias: [
      ...Object.entries(subpaths).map(([subpath, source]) => ({
        find: new RegExp(`^@bottle/${subpath}$`),
        replacement: fileURLToPath(new URL(`./packages/${source}`, import.meta.url)),
      })),
      ...packageNames.map((name) => ({
        find: new RegExp(`^@bottle/${name}$`),
        replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
      })),
    ],
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
