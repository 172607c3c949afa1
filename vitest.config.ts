import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packageNames = ['protocol', 'server', 'worker', 'cli', 'test-utils'];

export default defineConfig({
  resolve: {
    // In-process tests import workspace packages from their TypeScript sources; child processes run the built dist.
    // Subpath entries come first, so that `@bottle/worker/task` is not read as `@bottle/worker`.
    alias: [
      {
        find: /^@bottle\/worker\/task$/,
        replacement: fileURLToPath(new URL('./packages/worker/src/task/index.ts', import.meta.url)),
      },
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
