/** The queue file's lock, in-process: a second store on a file is refused; a stale lock is not. */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isBottleError } from '@bottle/protocol';
import { SqliteStore } from '@bottle/server';
import { makeTempDir } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});
function tempDb(): string {
  const dir = makeTempDir('bottle-queue-file-');
  dirs.push(dir);
  return join(dir.path, 'bottle.db');
}

describe('the queue file lock', () => {
  it('refuses a second store on the same file in this process, and frees the file on close', async () => {
    const path = tempDb();
    const first = new SqliteStore(path);
    let refused: unknown;
    try {
      new SqliteStore(path);
    } catch (error) {
      refused = error;
    }
    expect(isBottleError(refused, 'ERR_DATABASE_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`process ${process.pid} on ${hostname()}`);
    await first.close();
    const again = new SqliteStore(path);
    await again.close();
  });

  it("takes over a lock left under this process's own pid by an earlier life (a restarted container)", async () => {
    const path = tempDb();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), since: 0 }));
    const store = new SqliteStore(path);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).since).toBeGreaterThan(0);
    await store.close();
  });

  it('refuses a lock held by a live process, or by another host, naming it', () => {
    const path = tempDb();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), since: 0 }));
    expect(() => new SqliteStore(path)).toThrow(new RegExp(`process ${process.ppid} on `));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', since: 0 }));
    expect(() => new SqliteStore(path)).toThrow(/process 1 on elsewhere.*delete .*bottle\.db\.lock/);
  });
});
