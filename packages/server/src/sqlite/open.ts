/**
 * Opening the queue file: before anything is written, make sure the file is ours (absent, empty, or
 * a SQLite file holding bottle's tables only) and whole, and that no other server holds it. A
 * `--db` that names another application's database, a text file or a damaged copy is refused with
 * the file's name and what to do; nothing is written to it.
 */
import { closeSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BottleError } from '@bottle/protocol';
import Database from 'better-sqlite3';
import { loadSqliteBinding } from './native.js';
import { migrations } from './schema.js';

/** The tables bottle's migrations create (schema.ts); a file holding any other table is not ours. */
const OUR_TABLES = new Set(
  migrations.flatMap((sql) => [...sql.matchAll(/CREATE TABLE (\w+)/g)].map((match) => match[1] as string)),
);
const SQLITE_MAGIC = 'SQLite format 3\0';

/** Checks `path`, takes its lock and opens it; closing the database releases the lock. */
export function openQueueFile(path: string): Database.Database {
  // First, so that a driver that cannot load is not blamed on the file.
  loadSqliteBinding();
  if (isInMemory(path)) return new Database(path);
  const file = resolve(path);
  checkQueueFile(file);
  const release = takeLock(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    release();
    throw badDatabase(file, `cannot be opened (${(error as Error).message})`, error);
  }
  const close = db.close.bind(db);
  // better-sqlite3 has no close event: the lock goes with the connection, whoever closes it.
  db.close = () => {
    const result = close();
    release();
    return result;
  };
  return db;
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file:');
}

function badDatabase(file: string, why: string, cause?: unknown): BottleError {
  return new BottleError(
    'ERR_BAD_DATABASE',
    `${file} ${why}; give a new file name for the queue (bottle creates it), or restore this one`,
    cause === undefined ? {} : { cause },
  );
}

/** Throws ERR_BAD_DATABASE unless `file` is absent, empty, or a whole SQLite file of bottle's. */
export function checkQueueFile(file: string): void {
  const folder = dirname(file);
  const folderStat = statSync(folder, { throwIfNoEntry: false });
  if (!folderStat?.isDirectory()) {
    throw new BottleError(
      'ERR_BAD_DATABASE',
      `the folder of the queue file ${file} does not exist: create ${folder} first, or give another --db`,
    );
  }
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat || stat.size === 0) return;
  if (!stat.isFile()) throw badDatabase(file, 'is not a file');
  const header = readHeader(file);
  if (header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw badDatabase(file, 'is not a SQLite file (so not a bottle queue)');
  }
  // The header's page size and page count (valid when the two change counters agree) tell how
  // long the file must be: a shorter one was cut, e.g. by a partial copy.
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const countValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (stat.size % pageSize !== 0 || (countValid && stat.size < pages * pageSize)) {
    throw badDatabase(file, `is damaged: it is cut short (${stat.size} bytes)`);
  }
  let tables: string[];
  let version: number;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
    ).map((row) => row.name);
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    throw badDatabase(file, `is damaged or unreadable (${(error as Error).message})`, error);
  } finally {
    db?.close();
  }
  const foreign = tables.filter((name) => !OUR_TABLES.has(name));
  if (foreign.length > 0 || (version === 0 && tables.length > 0)) {
    const shown = (foreign.length > 0 ? foreign : tables).slice(0, 5).join(', ');
    throw badDatabase(file, `belongs to another application (it holds the tables ${shown})`);
  }
}

function readHeader(file: string): Buffer {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  return header;
}

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

/**
 * `<file>.lock` names the server that holds the queue. One left by a process that died on this
 * host (kill -9, a crash) is taken over; one held by a live process, or from another host (a
 * shared folder), is refused.
 */
/** Queue files this process holds: a lock naming this pid is stale unless listed here. */
const heldHere = new Set<string>();

function takeLock(file: string): () => void {
  const lockFile = `${file}.lock`;
  const me: LockOwner = { pid: process.pid, host: hostname(), since: Date.now() };
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(lockFile, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        try {
          unlinkSync(lockFile);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw badDatabase(file, `cannot be locked: ${lockFile} (${(error as Error).message})`, error);
      }
    }
    const owner = readOwner(lockFile);
    if (owner && !isStale(owner, me.host, heldHere.has(file))) {
      const since = new Date(owner.since).toISOString();
      throw new BottleError(
        'ERR_DATABASE_LOCKED',
        `${file} is served by another bottle server (process ${owner.pid} on ${owner.host}, since ${since}): ` +
          `stop it, or give this one another --db. If that server is gone, delete ${lockFile}`,
      );
    }
    try {
      unlinkSync(lockFile);
    } catch {
      // Another starter removed it first; the next try decides.
    }
  }
  throw new BottleError('ERR_DATABASE_LOCKED', `${file}: another bottle server is starting on it`);
}

function readOwner(lockFile: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner, host: string, heldByThisProcess: boolean): boolean {
  if (owner.host !== host) return false;
  // A restarted container runs the server under the same pid again: that lock is its previous life's.
  if (owner.pid === process.pid) return !heldByThisProcess;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
