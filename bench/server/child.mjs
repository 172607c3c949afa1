// The server under benchmark, in its own process so that its memory (RSS) can be read alone.
// Usage: node child.mjs <db>; prints "listening <url>"; SIGTERM closes it.
import { startBottleServer } from '../../packages/server/dist/index.js';

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
