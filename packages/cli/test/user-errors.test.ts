/**
 * A user's mistakes get a clear message and exit 1 or 2, never "internal error" (exit 70), through
 * the real programs: bad flag values, scan functions that throw, queue files that are not ours.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, Scene } from './_e2e.js';

// better-sqlite3 is the server's dependency: reached from there to write other applications' files.
interface RawDb {
  exec(sql: string): void;
  prepare(sql: string): { run(...values: unknown[]): void };
  pragma(text: string): unknown;
  close(): void;
}
const Database = createRequire(join(repoRoot, 'packages/server/package.json'))('better-sqlite3') as new (
  path: string,
) => RawDb;

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

function expectClear(stderr: string) {
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('bad flag values', () => {
  it('--timeout -5, abc and 0 are refused with exit 2, naming the flag', async () => {
    scene = new Scene();
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const value of ['-5', 'abc', '0']) {
      const worker = scene.worker(closed, ['--timeout', value]);
      expect(await worker.exited).toBe(2);
      expect(worker.stderr).toMatch(/--timeout takes a number of seconds > 0/);
      expectClear(worker.stderr);
    }
  });

  it('an unknown option or command gets a "did you mean"', async () => {
    scene = new Scene();
    const worker = scene.worker(`http://127.0.0.1:${await freePort()}`, ['--retry-if-emtpy']);
    expect(await worker.exited).toBe(2);
    expect(worker.stderr).toContain('Unknown argument: retry-if-emtpy\nDid you mean --retry-if-empty?');
    const bottle = await scene.bottle(['stauts']);
    expect(bottle.code).toBe(2);
    expect(bottle.stderr).toContain('Did you mean status?');
    // A typo of a former spelling is pointed to the new name, which --help shows.
    const renamed = scene.worker(`http://127.0.0.1:${await freePort()}`, ['--tunel-port', '5']);
    expect(await renamed.exited).toBe(2);
    expect(renamed.stderr).toContain('Unknown argument: tunel-port\nDid you mean --local-port?');
  });
});

describe('scans that throw', () => {
  it('a scan function that throws, or a class given as a scan, names the module and export (exit 1)', async () => {
    scene = new Scene();
    writeFileSync(
      join(scene.root, 'throws.mjs'),
      [
        'export class Task { run() {} }',
        "export function scan() { throw new Error('no params today'); }",
        "export function* lazy() { yield { a: 1 }; throw new RangeError('ran out'); }",
      ].join('\n'),
    );
    const closed = `http://127.0.0.1:${await freePort()}`;
    const thrown = scene.worker(closed, ['--post', '-p', 'throws.scan']);
    expect(await thrown.exited).toBe(1);
    expect(thrown.stderr).toMatch(/throws\.scan threw Error: no params today.*ERR_BAD_TASK_MODULE/);
    expectClear(thrown.stderr);

    const lazy = await scene.bottle(['post', 'throws.lazy', '--dry-run']);
    expect(lazy.code).toBe(1);
    expect(lazy.stderr).toMatch(/throws\.lazy threw RangeError: ran out/);
    expectClear(lazy.stderr);

    const klass = scene.worker(closed, ['--post', '--module', 'throws.Task']);
    expect(await klass.exited).toBe(1);
    expect(klass.stderr).toMatch(/throws\.Task is a class.*not a scan/);
    expectClear(klass.stderr);
  });
});

describe('queue files that are not ours', () => {
  async function refused(db: string): Promise<string> {
    const server = scene.spawn('bottle-server', ['--db', db, '--port', '0']);
    const code = await Promise.race([
      server.exited,
      server.waitForOutput(/listening on/).then(() => 'listening'),
    ]);
    expect(code).toBe(1);
    expectClear(server.stderr);
    return server.stderr;
  }

  it('a text file, a missing folder, a cut file and another application database: exit 1, nothing written', async () => {
    scene = new Scene();
    const text = join(scene.dir, 'notes.txt');
    writeFileSync(text, 'my notes\n');
    expect(await refused(text)).toMatch(/notes\.txt is not a SQLite file.*ERR_BAD_DATABASE/);
    expect(readFileSync(text, 'utf8')).toBe('my notes\n');

    expect(await refused(join(scene.dir, 'no-such-dir', 'q.db'))).toMatch(
      /folder of the queue file .*q\.db does not exist: create .*no-such-dir first/,
    );

    const other = join(scene.dir, 'other', 'app.db');
    mkdirSync(join(scene.dir, 'other'));
    const raw = new Database(other);
    raw.exec('CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO tasks (title) VALUES (1)');
    raw.close();
    const before = readFileSync(other);
    expect(await refused(other)).toMatch(
      /app\.db belongs to another application \(it holds the tables tasks\)/,
    );
    expect(readFileSync(other).equals(before)).toBe(true);
    // No journal, WAL or lock left beside it either.
    expect(readdirSync(join(scene.dir, 'other'))).toEqual(['app.db']);

    const cut = join(scene.dir, 'cut.db');
    const big = new Database(cut);
    big.exec('CREATE TABLE tasks (seq INTEGER PRIMARY KEY, params TEXT)');
    const insert = big.prepare('INSERT INTO tasks (params) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run('x'.repeat(400));
    big.pragma('user_version = 2');
    big.close();
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    expect(await refused(cut)).toMatch(/cut\.db is damaged: it is cut short/);
  });

  it('a second server on the same file is refused, naming the first; after a kill -9 the file opens again', async () => {
    scene = new Scene();
    const first = await scene.server();
    const pid = first.child.process.pid;
    const second = scene.spawn('bottle-server', ['--db', scene.db, '--port', '0']);
    const code = await Promise.race([
      second.exited,
      second.waitForOutput(/listening on/).then(() => 'listening'),
    ]);
    expect(code).toBe(1);
    expect(second.stderr).toContain(`served by another bottle server (process ${pid} on `);
    expect(second.stderr).toMatch(/ERR_DATABASE_LOCKED/);
    expect((await first.client.health()).ok).toBe(true);

    await first.child.kill9();
    const again = await scene.server();
    expect((await again.client.health()).ok).toBe(true);
  });
});
