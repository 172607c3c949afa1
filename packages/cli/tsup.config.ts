import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

export default defineConfig({
  ...baseConfig,
  entry: ['src/index.ts', 'src/bin/bottle.ts', 'src/bin/bottle-server.ts', 'src/bin/bottle-worker.ts'],
  // One chunk shared by the entries, so the three bins and the library load one copy of the code.
  splitting: true,
});
