/**
 * A task module anywhere (outside the worker's root package, in a project that installed bottle
 * from a registry, in a folder with no node_modules at all) imports `@bottle/*` and gets the very
 * files of the worker running it. TypeScript modules load through jiti with aliases; JavaScript
 * modules through Node's own loader, with a resolve hook registered once per process or thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let cached: Record<string, string> | undefined;

/** `@bottle/protocol`, `@bottle/worker` and its subpaths → the absolute files this worker uses. */
export function bottleAliases(): Record<string, string> {
  if (cached) return cached;
  const here = fileURLToPath(import.meta.url);
  // Built, this code sits in dist/ beside index.js, task.js, ssh.js, gather.js and search.js; from the sources,
  // in src/task/, below src/index.ts and the folder of each subpath's index.ts.
  const src = resolve(dirname(here), '..');
  const own = (subpath: string) =>
    here.endsWith('.ts') ? join(src, subpath, 'index.ts') : join(dirname(here), `${subpath}.js`);
  cached = {
    '@bottle/protocol': packageEntry('@bottle/protocol'),
    // Subpaths before the package itself: an alias also matches what it is a prefix of.
    '@bottle/worker/task': own('task'),
    '@bottle/worker/ssh': own('ssh'),
    '@bottle/worker/gather': own('gather'),
    '@bottle/worker/search': own('search'),
    '@bottle/worker': here.endsWith('.ts') ? join(src, 'index.ts') : join(dirname(here), 'index.js'),
  };
  return cached;
}

/** The ESM entry of a package this one depends on, read from its package.json `exports`. */
function packageEntry(name: string): string {
  const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
  const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports?: { '.'?: { import?: string; default?: string } };
    main?: string;
  };
  const entry = json.exports?.['.']?.import ?? json.exports?.['.']?.default ?? json.main ?? 'index.js';
  return join(dirname(manifest), entry);
}

const hook = `
let aliases = {};
export function initialize(data) { aliases = data.aliases; }
export async function resolve(specifier, context, next) {
  const url = aliases[specifier];
  return url === undefined ? next(specifier, context) : { url, shortCircuit: true };
}`;

let registered = false;

/** Registers the resolve hook for native imports of `@bottle/*` (once per process or thread). */
export function registerBottleAliases(): void {
  if (registered) return;
  registered = true;
  const aliases = Object.fromEntries(
    Object.entries(bottleAliases()).map(([name, file]) => [name, pathToFileURL(file).href]),
  );
  register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { aliases } });
}
