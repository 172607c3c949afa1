/**
 * CONSUMER TEST with npm (slow: about a minute; needs the package registry for third-party
 * dependencies). The four packages packed as published (run `pnpm build` first), installed into
 * projects outside this workspace, each with only what its kind of user installs; see _consumers.ts
 * and docs/installing.md, "How this is checked".
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BINDING,
  copyBinding,
  install,
  installedSqlite,
  layOut,
  type ProjectKind,
  packAll,
  requireAll,
  serveFails,
  sh,
  sweepThroughBins,
  sweepThroughLibrary,
  typeCheck,
} from './_consumers.js';

const temp = makeTempDir('bottle-npm-users-');
let tarballs: Record<string, string>;
beforeAll(async () => {
  tarballs = await packAll(join(temp.path, 'tarballs'));
}, 60_000);
afterAll(() => temp.remove());

async function project(kind: ProjectKind): Promise<string> {
  const dir = join(temp.path, kind);
  layOut(dir, kind, 'npm', tarballs);
  await install('npm', dir);
  return dir;
}

const bothCompilers = [expect.stringMatching(/^Version 5\.9\./), expect.stringMatching(/^Version 7\./)];
const SWEEP_SUM = 2 * ((19 * 20) / 2);

/** The queue file and its companions (-wal, -shm, .lock): names, sizes, modification times, contents. */
function queueFiles(dir: string): Record<string, string> {
  const files = readdirSync(dir).filter((name) => name.startsWith('queue.db'));
  return Object.fromEntries(
    files.map((name) => {
      const path = join(dir, name);
      const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
      return [name, `${statSync(path).size} ${statSync(path).mtimeMs} ${digest}`];
    }),
  );
}

/** A Node.js of another major version than this one, from the registry's binary packages. */
async function otherNode(): Promise<string> {
  const major = process.versions.node.split('.')[0] === '22' ? 20 : 22;
  const name = `node-${process.platform}-${process.arch}`;
  const dir = join(temp.path, 'other-node');
  await sh(
    'npm',
    [
      'install',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--prefer-offline',
      `${name}@${major}`,
    ],
    temp.path,
  );
  return join(dir, 'node_modules', name, 'bin', 'node');
}

describe('the packed packages in projects installed with npm', () => {
  it('a task project (worker + protocol) type-checks with TypeScript 5.9 and 7 and loads from CommonJS', async () => {
    const dir = await project('task');
    expect(await typeCheck(dir)).toEqual(bothCompilers);
    expect(await requireAll(dir)).toEqual({
      '@bottle/worker': expect.any(Number),
      '@bottle/protocol': expect.any(Number),
    });
  }, 240_000);

  it('an embedder (server + worker + express) type-checks and runs a 20-task sweep through the libraries', async () => {
    const dir = await project('embedder');
    copyBinding(await installedSqlite(dir));
    expect(await typeCheck(dir)).toEqual(bothCompilers);
    expect(await sweepThroughLibrary(dir)).toEqual({
      unauthorized: 401,
      done: 20,
      failed: 0,
      sum: SWEEP_SUM,
    });
    expect(await requireAll(dir)).toEqual({
      '@bottle/server': expect.any(Number),
      '@bottle/worker': expect.any(Number),
    });
  }, 240_000);

  it('a CLI user: bottle-server names a missing or foreign SQLite binding and leaves the queue alone; built, the bins run a 20-task sweep', async () => {
    const dir = await project('cli');
    expect(await typeCheck(dir)).toEqual(bothCompilers);
    const sqlite = await installedSqlite(dir);
    expect(existsSync(join(sqlite, BINDING))).toBe(false);

    // --ignore-scripts: better-sqlite3's build never ran.
    const missing = await serveFails(dir, 'queue.db');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/installed without its compiled module/);
    expect(missing.stderr).toMatch(
      /npm rebuild better-sqlite3[\s\S]*pnpm approve-builds|pnpm approve-builds[\s\S]*npm rebuild better-sqlite3/,
    );
    expect(missing.stderr).toMatch(/queue file was not opened.*\[ERR_SQLITE_BINDING\]/);
    expect(missing.stderr).not.toMatch(/restore|new file name|ERR_BAD_DATABASE/);
    expect(queueFiles(dir)).toEqual({});

    // Something that is no library where the compiled module belongs (a cut copy, another system's).
    mkdirSync(join(sqlite, dirname(BINDING)), { recursive: true });
    writeFileSync(join(sqlite, BINDING), 'not a shared library\n');
    const broken = await serveFails(dir, 'queue.db');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /compiled module this machine cannot load[\s\S]*npm rebuild better-sqlite3[\s\S]*\[ERR_SQLITE_BINDING\]/,
    );
    expect(queueFiles(dir)).toEqual({});

    copyBinding(sqlite);
    expect(await sweepThroughBins(dir)).toEqual({ done: 20, sum: SWEEP_SUM });
    expect(await requireAll(dir)).toEqual({ '@bottle/cli': expect.any(Number) });

    // A Node.js upgrade: the module built for this Node cannot load in another, and the queue of the
    // finished sweep stays exactly as it was.
    const before = queueFiles(dir);
    expect(Object.keys(before)).toContain('queue.db');
    const node = await otherNode();
    const upgraded = await serveFails(dir, 'queue.db', node);
    expect(upgraded.code).toBe(1);
    expect(upgraded.stderr).toMatch(
      /compiled for another version of Node\.js \(NODE_MODULE_VERSION \d+; Node\.js v\d+\.\d+\.\d+ needs \d+\)/,
    );
    expect(upgraded.stderr).toMatch(
      /pnpm rebuild better-sqlite3[\s\S]*npm rebuild better-sqlite3[\s\S]*\[ERR_SQLITE_BINDING\]/,
    );
    expect(queueFiles(dir)).toEqual(before);
  }, 240_000);
});
