// Preloaded with `node --import`: records every URL this process resolves (a module hook) and, at
// exit, every file in its CommonJS cache, one a line, in the file named by $BOTTLE_RECORD_LOADS.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.BOTTLE_RECORD_LOADS;
if (log) {
  register('./record-imports-hook.mjs', { parentURL: import.meta.url, data: { log } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    appendFileSync(
      log,
      Object.keys(cache)
        .map((file) => `${pathToFileURL(file).href}\n`)
        .join(''),
    );
  });
}
