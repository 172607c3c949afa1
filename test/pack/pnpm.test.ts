/**
 * CONSUMER TEST with pnpm 10 (slow: about a minute, plus a minute the first time on a machine,
 * while pnpm compiles better-sqlite3 for its store's cache; needs the package registry). The four
 * packages packed as published (run `pnpm build` first), installed into projects outside this
 * workspace, each with only what its kind of user installs; see _consumers.ts and
 * docs/installing.md, "How this is checked".
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allowSqliteBuild,
  BINDING,
  install,
  installedSqlite,
  removeModules,
  sweepThroughBins,
} from './_consumers.js';
import {
  expectLibrarySweep,
  expectTypesAndRequire,
  expectUnbuiltRefused,
  SWEEP_SUM,
  usersOf,
} from './_users.js';

const users = usersOf('pnpm');

describe('the packed packages in projects installed with pnpm 10', () => {
  it('a task project (worker + protocol) type-checks with TypeScript 5.9 and 7 and loads from CommonJS', async () => {
    const dir = await users.project('task');
    await expectTypesAndRequire(dir, ['@bottle/worker', '@bottle/protocol']);
  }, 240_000);

  it('an embedder (server + worker + express) with better-sqlite3 allowed to build type-checks and runs a 20-task sweep through the libraries', async () => {
    const dir = await users.project('embedder');
    expect(existsSync(join(await installedSqlite(dir), BINDING))).toBe(true);
    await expectTypesAndRequire(dir, ['@bottle/server', '@bottle/worker']);
    await expectLibrarySweep(dir);
  }, 240_000);

  it("a CLI user with pnpm's defaults: bottle-server names the unbuilt SQLite binding and pnpm's fix; with the fix, the bins run a 20-task sweep", async () => {
    const dir = await users.project('cli', false);
    expect(existsSync(join(await installedSqlite(dir), BINDING))).toBe(false);
    const unbuilt = await expectUnbuiltRefused(dir);
    expect(unbuilt.stderr).toMatch(/pnpm approve-builds.*onlyBuiltDependencies/);

    // The fix docs/installing.md gives; installing again takes the build from pnpm's store.
    allowSqliteBuild(dir);
    removeModules(dir);
    await install('pnpm', dir);
    await expectTypesAndRequire(dir, ['@bottle/cli']);
    expect(await sweepThroughBins(dir)).toEqual({ done: 20, sum: SWEEP_SUM });
  }, 240_000);
});
