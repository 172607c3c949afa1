/**
 * CONSUMER TEST with pnpm 10 (slow: about a minute, plus a minute the first time on a machine,
 * while pnpm compiles better-sqlite3 for its store's cache; needs the package registry). The four
 * packages packed as published (run `pnpm build` first), installed into projects outside this
 * workspace, each with only what its kind of user installs; see _consumers.ts and
 * docs/installing.md, "How this is checked".
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowSqliteBuild,
  BINDING,
  install,
  installedSqlite,
  layOut,
  type ProjectKind,
  packAll,
  removeModules,
  requireAll,
  serveFails,
  sweepThroughBins,
  sweepThroughLibrary,
  typeCheck,
} from './_consumers.js';

const temp = makeTempDir('bottle-pnpm-users-');
let tarballs: Record<string, string>;
beforeAll(async () => {
  tarballs = await packAll(join(temp.path, 'tarballs'));
}, 60_000);
afterAll(() => temp.remove());

async function project(kind: ProjectKind, allowBuild = true): Promise<string> {
  const dir = join(temp.path, kind);
  layOut(dir, kind, 'pnpm', tarballs, allowBuild);
  await install('pnpm', dir);
  return dir;
}

const bothCompilers = [expect.stringMatching(/^Version 5\.9\./), expect.stringMatching(/^Version 7\./)];
const SWEEP_SUM = 2 * ((19 * 20) / 2);

describe('the packed packages in projects installed with pnpm 10', () => {
  it('a task project (worker + protocol) type-checks with TypeScript 5.9 and 7 and loads from CommonJS', async () => {
    const dir = await project('task');
    expect(await typeCheck(dir)).toEqual(bothCompilers);
    expect(await requireAll(dir)).toEqual({
      '@bottle/worker': expect.any(Number),
      '@bottle/protocol': expect.any(Number),
    });
  }, 240_000);

  it('an embedder (server + worker + express) with better-sqlite3 allowed to build type-checks and runs a 20-task sweep through the libraries', async () => {
    const dir = await project('embedder');
    expect(existsSync(join(await installedSqlite(dir), BINDING))).toBe(true);
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

  it("a CLI user with pnpm's defaults: bottle-server names the unbuilt SQLite binding and pnpm's fix; with the fix, the bins run a 20-task sweep", async () => {
    const dir = await project('cli', false);
    expect(existsSync(join(await installedSqlite(dir), BINDING))).toBe(false);
    const unbuilt = await serveFails(dir, 'queue.db');
    expect(unbuilt.code).toBe(1);
    expect(unbuilt.stderr).toMatch(/installed without its compiled module/);
    expect(unbuilt.stderr).toMatch(/pnpm approve-builds.*onlyBuiltDependencies/);
    expect(unbuilt.stderr).toMatch(/queue file was not opened.*\[ERR_SQLITE_BINDING\]/);
    expect(readdirSync(dir).filter((name) => name.startsWith('queue.db'))).toEqual([]);

    // The fix docs/installing.md gives; installing again takes the build from pnpm's store.
    allowSqliteBuild(dir);
    removeModules(dir);
    await install('pnpm', dir);
    expect(await typeCheck(dir)).toEqual(bothCompilers);
    expect(await sweepThroughBins(dir)).toEqual({ done: 20, sum: SWEEP_SUM });
    expect(await requireAll(dir)).toEqual({ '@bottle/cli': expect.any(Number) });
  }, 240_000);
});
