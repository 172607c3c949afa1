/**
 * Which packages a Node program loads, to hold a light entry or a lazy command to its promise:
 * a program started with `recorder.env` (it preloads the recorder through NODE_OPTIONS) records
 * every module it resolves and every CommonJS file it requires, and so do the Node processes it
 * starts; `packages()` names the packages under node_modules among them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadRecorder {
  /** The environment that preloads the recorder, and names the file the records go to. */
  env: { NODE_OPTIONS: string; BOTTLE_RECORD_LOADS: string };
  /** The packages loaded so far, by name (`got`, `@bottle/server`, ...). */
  packages(): Set<string>;
}

/** A recorder writing into `dir` (a fresh temporary directory of the test). */
export function recordLoads(dir: string): LoadRecorder {
  const log = join(dir, 'loads.txt');
  const preload = fileURLToPath(new URL('./record-imports.mjs', import.meta.url));
  return {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
      BOTTLE_RECORD_LOADS: log,
    },
    packages() {
      const names = new Set<string>();
      if (!existsSync(log)) return names;
      for (const url of readFileSync(log, 'utf8').split('\n')) {
        // The last node_modules segment names the package (pnpm nests them in .pnpm/<id>/node_modules).
        const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url);
        if (match?.[1]) names.add(match[1]);
      }
      return names;
    },
  };
}
