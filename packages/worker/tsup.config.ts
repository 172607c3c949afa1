import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// host-entry is the script each task process or thread runs; the runner finds it beside dist/index.js.
// task is the light entry `@bottle/worker/task` for task modules and scan loaders.
export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    task: 'src/task/index.ts',
    'host-entry': 'src/runner/host-entry.ts',
  },
});
