import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base';

// Splitting: each command's code (src/run/) is a chunk of its own, loaded only when the command
// runs, so that `bottle-worker` never loads the server's packages nor `bottle ls` the worker's.
export default defineConfig({ ...baseConfig, splitting: true });
