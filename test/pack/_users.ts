/**
 * What the npm and pnpm consumer tests share: the tarballs packed once per file, a project per kind
 * of user, and the checks that read the same under either package manager.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  install,
  layOut,
  type Output,
  type PackageManager,
  type ProjectKind,
  packAll,
  requireAll,
  serveFails,
  sweepThroughLibrary,
  typeCheck,
} from './_consumers.js';

/** Registers the packing (before the file's tests) and the clean-up; `project` lays out and installs. */
export function usersOf(manager: PackageManager): {
  root: string;
  project: (kind: ProjectKind, allowBuild?: boolean) => Promise<string>;
} {
  const temp = makeTempDir(`bottle-${manager}-users-`);
  let tarballs: Record<string, string> = {};
  beforeAll(async () => {
    tarballs = await packAll(join(temp.path, 'tarballs'));
  }, 60_000);
  afterAll(() => temp.remove());
  return {
    root: temp.path,
    async project(kind, allowBuild = true) {
      const dir = join(temp.path, kind);
      layOut(dir, kind, manager, tarballs, allowBuild);
      await install(manager, dir);
      return dir;
    },
  };
}

/** Both compilers find no error, and CommonJS loads each of `names`. */
export async function expectTypesAndRequire(dir: string, names: string[]): Promise<void> {
  expect(await typeCheck(dir)).toEqual([
    expect.stringMatching(/^Version 5\.9\./),
    expect.stringMatching(/^Version 7\./),
  ]);
  const loaded = Object.fromEntries(names.map((name) => [name, expect.any(Number)]));
  expect(await requireAll(dir)).toEqual(loaded);
}

/** 2 × (0 + 1 + … + 19): the results of the 20-task sweeps, each doubling its n. */
export const SWEEP_SUM = 2 * ((19 * 20) / 2);

export async function expectLibrarySweep(dir: string): Promise<void> {
  expect(await sweepThroughLibrary(dir)).toEqual({ unauthorized: 401, done: 20, failed: 0, sum: SWEEP_SUM });
}

/** `bottle-server --db queue.db` while better-sqlite3 was never built: exit 1, the fix, no file made. */
export async function expectUnbuiltRefused(dir: string): Promise<Output> {
  const result = await serveFails(dir, 'queue.db');
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/installed without its compiled module/);
  expect(result.stderr).toMatch(/queue file was not opened.*\[ERR_SQLITE_BINDING\]/);
  expect(result.stderr).not.toMatch(/restore|new file name|ERR_BAD_DATABASE/);
  expect(queueFiles(dir)).toEqual({});
  return result;
}

/** The queue file and its companions (-wal, -shm, .lock): names, sizes, modification times, contents. */
export function queueFiles(dir: string): Record<string, string> {
  const files = readdirSync(dir).filter((name) => name.startsWith('queue.db'));
  return Object.fromEntries(
    files.map((name) => {
      const path = join(dir, name);
      const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
      return [name, `${statSync(path).size} ${statSync(path).mtimeMs} ${digest}`];
    }),
  );
}
