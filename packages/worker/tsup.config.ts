import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// host-entry is the script each task process or thread runs; the runner finds it beside dist/index.js.
// task is the light entry `@bottle/worker/task` for task modules and scan loaders; ssh and gather are
// `@bottle/worker/ssh`, `@bottle/worker/gather` and `@bottle/worker/slurm`, for what only the CLI and scripts use.
// Splitting keeps one copy of the code several entries share.
export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    task: 'src/task/index.ts',
    ssh: 'src/ssh/index.ts',
    gather: 'src/gather/index.ts',
    slurm: 'src/slurm/index.ts',
    'host-entry': 'src/runner/host-entry.ts',
  },
  splitting: true,
});
