import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// postgres is `@bottle/server/postgres`, the only code that imports `pg` (an optional peer
// dependency): the main entry loads it with a dynamic import, for a postgres:// database only.
// Splitting keeps one copy of the code both entries share. Members marked @internal stay out of the types.
export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts', postgres: 'src/postgres/index.ts' },
  splitting: true,
  dts: { compilerOptions: { stripInternal: true } },
});
