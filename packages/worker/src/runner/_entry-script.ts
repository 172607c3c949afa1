/**
 * Where the task process's entry script is. Built, the runner sits in dist/index.js beside
 * dist/process-entry.js. Run from the TypeScript sources (vitest), it forks
 * src/runner/process-entry.ts through jiti's ESM loader hook,
 * so that tests exercise the same sources they import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BottleError } from '@bottle/protocol';

export interface ChildEntry {
  script: string;
  execArgv: string[];
}

let cached: ChildEntry | undefined;

export function childEntry(): ChildEntry {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, 'process-entry.js');
  if (existsSync(built)) {
    cached = { script: built, execArgv: [] };
    return cached;
  }
  const source = join(here, 'process-entry.ts');
  if (existsSync(source)) {
    const jitiDir = dirname(createRequire(import.meta.url).resolve('jiti/package.json'));
    cached = { script: source, execArgv: ['--import', join(jitiDir, 'lib', 'jiti-register.mjs')] };
    return cached;
  }
  throw new BottleError(
    'ERR_INTERNAL',
    `the task process entry script is missing (looked for ${built}); rebuild @bottle/worker (pnpm build)`,
  );
}
