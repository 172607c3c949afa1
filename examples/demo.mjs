// `pnpm demo`: a bottle-server with the seed's dummy scan on a temporary SQLite file, two workers
// with -x 2 on this machine, the 37 tasks done, then a summary and where the outputs are.
// It runs the built programs exactly as a user would, as child processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(repo, 'packages/cli/bin', `${name}.js`);
const scratch = mkdtempSync(join(tmpdir(), 'bottle-demo-'));
const db = join(scratch, 'bottle.db');
const children = new Set();

function start(name, args, prefix) {
  const child = spawn(process.execPath, [bin(name), ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    });
  });
  let buffered = '';
  const print = (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) console.log(`${prefix} ${line}`);
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  if (prefix !== null) {
    child.stdout.on('data', print);
    child.stderr.on('data', print);
  }
  return { child, exited };
}

function waitForLine(child, pattern) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      const match = seen.match(pattern);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', () => reject(new Error(`the server exited before printing ${pattern}`)));
  });
}

function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  console.log(`demo: queue in ${db}`);
  const server = start(
    'bottle-server',
    ['-p', 'examples/dummy.scan', '--db', db, '--port', '0', '--log-format', 'pretty'],
    '[server]  ',
  );
  const [, url] = await waitForLine(server.child, /listening on (http:\/\/[\d.]+:\d+)/);
  await waitForLine(server.child, /tasks queued/);

  const workers = [1, 2].map((n) => start('bottle-worker', [url, '-x', '2'], `[worker ${n}]`));
  const codes = await Promise.all(workers.map((worker) => worker.exited));
  if (codes.some((code) => code !== 0)) throw new Error(`a worker exited with ${codes.join(', ')}`);

  const status = start('bottle', ['status', '--server', url], '[status]  ');
  await status.exited;
  // This run's output directories: one per task, named by its parameters' hash (out/ may hold older ones).
  const ls = start('bottle', ['ls', '--json', '--limit', '0', '--server', url], null);
  let listing = '';
  ls.child.stdout.on('data', (chunk) => {
    listing += chunk;
  });
  await ls.exited;
  const hashes = JSON.parse(listing).tasks.map((task) => task.paramsHash);
  server.child.kill('SIGTERM');
  await server.exited;

  const outRoot = join(repo, 'out');
  const dirs = hashes.filter((hash) => existsSync(join(outRoot, hash, 'status.json')));
  if (dirs.length !== hashes.length) throw new Error(`${hashes.length - dirs.length} tasks left no output`);
  console.log(
    `\ndemo: done. ${dirs.length} output directories in ./${relative(process.cwd(), outRoot) || '.'}/<paramsHash>/`,
  );
  console.log(`demo: e.g. ${join(relative(process.cwd(), outRoot), dirs[0] ?? '', 'params.json')}`);
} catch (error) {
  console.error(`demo failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
