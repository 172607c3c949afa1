/**
 * CONSUMER TEST with npm (slow: about a minute; needs the package registry for third-party
 * dependencies). The four packages packed as published (run `pnpm build` first), installed into
 * projects outside this workspace, each with only what its kind of user installs; see _consumers.ts
 * and docs/installing.md, "How this is checked".
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINDING, copyBinding, installedSqlite, serveFails, sh, sweepThroughBins } from './_consumers.js';
import {
  expectLibrarySweep,
  expectTypesAndRequire,
  expectUnbuiltRefused,
  queueFiles,
  SWEEP_SUM,
  usersOf,
} from './_users.js';

const users = usersOf('npm');

/** A Node.js of another major version than this one, from the registry's binary packages. */
async function otherNode(): Promise<string> {
  const major = process.versions.node.split('.')[0] === '22' ? 20 : 22;
  const name = `node-${process.platform}-${process.arch}`;
  const dir = join(users.root, 'other-node');
  const args = [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--prefer-offline',
  ];
  await sh('npm', [...args, `${name}@${major}`], users.root);
  return join(dir, 'node_modules', name, 'bin', 'node');
}

describe('the packed packages in projects installed with npm', () => {
  it('a task project (worker + protocol) type-checks with TypeScript 5.9 and 7 and loads from CommonJS', async () => {
    const dir = await users.project('task');
    await expectTypesAndRequire(dir, ['@bottle/worker', '@bottle/protocol']);
  }, 240_000);

  it('an embedder (server + worker + express) type-checks and runs a 20-task sweep through the libraries', async () => {
    const dir = await users.project('embedder');
    copyBinding(await installedSqlite(dir));
    await expectTypesAndRequire(dir, ['@bottle/server', '@bottle/worker']);
    await expectLibrarySweep(dir);
  }, 240_000);

  it('a CLI user: bottle-server names a missing or foreign SQLite binding and leaves the queue alone; built, the bins run a 20-task sweep', async () => {
    const dir = await users.project('cli');
    await expectTypesAndRequire(dir, ['@bottle/cli']);
    const sqlite = await installedSqlite(dir);
    expect(existsSync(join(sqlite, BINDING))).toBe(false);

    // --ignore-scripts: better-sqlite3's build never ran.
    const missing = await expectUnbuiltRefused(dir);
    expect(missing.stderr).toMatch(/npm rebuild better-sqlite3/);
    expect(missing.stderr).toMatch(/pnpm approve-builds/);

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

    // pg is an optional peer dependency: not installed, and a postgres:// database says what to install.
    expect(existsSync(join(dir, 'node_modules/pg'))).toBe(false);
    const postgres = await serveFails(dir, 'postgres://127.0.0.1/none');
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toMatch(/needs the package 'pg'.*npm install pg.*\[ERR_MISSING_PACKAGE\]/);

    // A Node.js upgrade: the module built for this Node cannot load in another, and the queue of the
    // finished sweep stays exactly as it was.
    const before = queueFiles(dir);
    expect(Object.keys(before)).toContain('queue.db');
    const upgraded = await serveFails(dir, 'queue.db', await otherNode());
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
