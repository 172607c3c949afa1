/**
 * Where the host entry script is. Built, the runner sits in dist/index.js beside dist/host-entry.js.
 * Run from the TypeScript sources (vitest), it starts src/runner/host-entry.ts through jiti's ESM
 * loader hook, so that tests exercise the same sources they import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BottleError } from '@bottle/protocol';

export interface HostEntry {
  script: string;
  execArgv: string[];
}

let cached: HostEntry | undefined;

export function hostEntry(): HostEntry {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, 'host-entry.js');
  if (existsSync(built)) {
    cached = { script: built, execArgv: [] };
    return cached;
  }
  const source = join(here, 'host-entry.ts');
  if (existsSync(source)) {
    const jitiDir = dirname(createRequire(import.meta.url).resolve('jiti/package.json'));
    cached = { script: source, execArgv: ['--import', join(jitiDir, 'lib', 'jiti-register.mjs')] };
    return cached;
  }
  throw new BottleError(
    'ERR_INTERNAL',
    `the task host entry script is missing (looked for ${built}); rebuild @bottle/worker (pnpm build)`,
  );
}
