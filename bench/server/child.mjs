// The server under benchmark, in its own process so that its memory (RSS) and CPU can be read alone.
// Usage: node child.mjs <db>; prints "listening <url>"; SIGTERM closes it. BOTTLE_SERVER_DIST picks
// another build of packages/server (default: this checkout's).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist =
  process.env.BOTTLE_SERVER_DIST ??
  join(dirname(fileURLToPath(import.meta.url)), '../../packages/server/dist');
const { startBottleServer } = await import(pathToFileURL(join(dist, 'index.js')).href);
const quiet = () => {};
const server = await startBottleServer({
  db: process.argv[2],
  port: 0,
  logger: { info: quiet, warn: quiet, error: (m) => process.stderr.write(`${m}\n`) },
});
process.stdout.write(`listening ${server.url}\n`);
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
