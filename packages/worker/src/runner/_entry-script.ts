/**
 * Where a script the worker starts in another process is: the task host (runner/host-entry.ts) and the
 * command launcher (command/launcher-entry.ts). Built, each sits in dist/ beside dist/index.js. Run from
 * the TypeScript sources (vitest), it starts through jiti's ESM loader hook, so that tests exercise the
 * same sources they import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BottleError } from '@bottle/protocol';

export interface EntryScript {
  script: string;
  execArgv: string[];
}

/** The entry scripts by name, with their source folder under src/. */
const sources = { 'host-entry': 'runner', 'launcher-entry': 'command' } as const;

const cached = new Map<string, EntryScript>();

export function entryScript(name: keyof typeof sources): EntryScript {
  const known = cached.get(name);
  if (known) return known;
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, `${name}.js`);
  const source = join(here, '..', sources[name], `${name}.ts`);
  let found: EntryScript;
  if (existsSync(built)) found = { script: built, execArgv: [] };
  else if (existsSync(source)) {
    const jitiDir = dirname(createRequire(import.meta.url).resolve('jiti/package.json'));
    found = { script: source, execArgv: ['--import', join(jitiDir, 'lib', 'jiti-register.mjs')] };
  } else {
    throw new BottleError(
      'ERR_INTERNAL',
      `the worker's script ${name} is missing (looked for ${built}); rebuild @bottle/worker (pnpm build)`,
    );
  }
  cached.set(name, found);
  return found;
}
