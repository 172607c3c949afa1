/** The dashboard's files: the page (`web/` of this package) and uPlot, served as they are. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `web/` beside `dist/` (the built bundle) or beside `src/` (this file, two levels down). */
function webDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'web'), join(here, '..', '..', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return join(here, '..', 'web');
}

function uplotFile(name: string): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('uplot/package.json')), 'dist', name);
}

/** URL name → file and content type; nothing else is served. */
export function dashboardFiles(): Map<string, { path: string; type: string }> {
  const web = webDir();
  return new Map([
    ['index.html', { path: join(web, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['app.js', { path: join(web, 'app.js'), type: 'text/javascript; charset=utf-8' }],
    ['charts.js', { path: join(web, 'charts.js'), type: 'text/javascript; charset=utf-8' }],
    ['search.js', { path: join(web, 'search.js'), type: 'text/javascript; charset=utf-8' }],
    ['app.css', { path: join(web, 'app.css'), type: 'text/css; charset=utf-8' }],
    ['uplot.js', { path: uplotFile('uPlot.esm.js'), type: 'text/javascript; charset=utf-8' }],
    ['uplot.css', { path: uplotFile('uPlot.min.css'), type: 'text/css; charset=utf-8' }],
  ]);
}
