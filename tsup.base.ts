import type { Options } from 'tsup';

/**
 * The one build configuration every package spreads: ESM, declarations, Node 20.
 *
 * Declarations: the public types name Node's (`Buffer`, `node:stream`, `NodeJS.ProcessEnv`,
 * `Symbol.asyncDispose`), so each emitted `.d.ts` starts with a reference to them, which the
 * user's compiler follows whatever its `types` option says (TypeScript 6 and later include no
 * `@types` package unless told); each package depends on `@types/node` for it.
 *
 * No source maps: they tripled what the packages weigh, and the output is plain, unminified
 * JavaScript whose stack traces read as they are.
 */
export const baseConfig = {
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { banner: '/// <reference types="node" />' },
  sourcemap: false,
  clean: true,
  splitting: false,
  treeshake: true,
} satisfies Options;
