import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// child.ts is the script each task process runs; the runner finds it beside dist/index.js.
export default defineConfig({ ...baseConfig, entry: ['src/index.ts', 'src/child.ts'] });
