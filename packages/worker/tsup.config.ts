import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// host-entry is the script each task process or thread runs; launcher-entry the command launcher's
// (it starts command tasks); the worker finds both beside dist/index.js.
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
    search: 'src/search/index.ts',
    slurm: 'src/slurm/index.ts',
    'host-entry': 'src/runner/host-entry.ts',
    'launcher-entry': 'src/command/launcher-entry.ts',
  },
  splitting: true,
});
