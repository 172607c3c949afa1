/**
 * PACKAGING TEST (slow: about a minute; needs the package registry for third-party dependencies).
 *
 * Packs the four packages as they would be published (`pnpm pack`, from their built `dist`: run
 * `pnpm build` first), installs the tarballs with npm into a fresh project OUTSIDE this workspace,
 * then: type-checks a TypeScript consumer with `skipLibCheck: false`, loads each package with
 * require(), runs the installed `bottle` program, and runs the embedded router in the consumer's
 * Express app with a Worker over 100 tasks of the consumer's own task module.
 *
 * npm runs no install scripts here: better-sqlite3's native binding is copied from this workspace
 * (the same version) instead of being compiled for minutes.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from '@bottle/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const consumerSources = fileURLToPath(new URL('./consumer', import.meta.url));
const PACKAGES = ['protocol', 'server', 'worker', 'cli'] as const;
const temp = makeTempDir('bottle-pack-');
afterAll(() => temp.remove());

const rootPackage = createRequire(join(repoRoot, 'package.json'))('./package.json') as {
  devDependencies: Record<string, string>;
};

async function sh(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

describe('the published packages, installed into a project of their own', () => {
  it('type-check with skipLibCheck false, load with require, and run the embedded router with a worker over 100 tasks', async () => {
    const tarballs = join(temp.path, 'tarballs');
    mkdirSync(tarballs);
    for (const name of PACKAGES) {
      await sh('pnpm', ['pack', '--pack-destination', tarballs], join(repoRoot, 'packages', name));
    }
    const tarball = (name: string) =>
      join(tarballs, readdirSync(tarballs).find((file) => file.startsWith(`bottle-${name}-`)) as string);

    const app = join(temp.path, 'app');
    cpSync(consumerSources, app, { recursive: true });
    const local = Object.fromEntries(PACKAGES.map((name) => [`@bottle/${name}`, `file:${tarball(name)}`]));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'bottle-consumer',
        private: true,
        type: 'module',
        dependencies: { ...local, express: '^5.1.0' },
        devDependencies: {
          typescript: rootPackage.devDependencies.typescript,
          '@types/node': rootPackage.devDependencies['@types/node'],
        },
        // The packages' dependencies on each other resolve to these tarballs, not to the registry.
        overrides: Object.fromEntries(PACKAGES.map((name) => [`@bottle/${name}`, `$@bottle/${name}`])),
      }),
    );
    await sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], app);
    const binding = 'build/Release/better_sqlite3.node';
    const ours = dirname(
      createRequire(join(repoRoot, 'packages/server/package.json')).resolve('better-sqlite3/package.json'),
    );
    mkdirSync(join(app, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    cpSync(join(ours, binding), join(app, 'node_modules/better-sqlite3', binding));

    // Types: every .d.ts these imports reach compiles, with no types package missing.
    await sh(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);

    const required = JSON.parse(await sh(process.execPath, ['require.cjs'], app)) as [string, boolean][];
    expect(required).toEqual(PACKAGES.map((name) => [`@bottle/${name}`, true]));

    const version = await sh(
      process.execPath,
      [join(app, 'node_modules/@bottle/cli/bin/bottle.js'), '--version'],
      app,
    );
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);

    // pg is an optional peer dependency: not installed, and a postgres:// database says what to install.
    expect(existsSync(join(app, 'node_modules/pg'))).toBe(false);
    const postgres = await run(
      process.execPath,
      [
        join(app, 'node_modules/@bottle/cli/bin/bottle-server.js'),
        '--db',
        'postgres://127.0.0.1/none',
        '--port',
        '0',
      ],
      { cwd: app },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toMatch(/needs the package 'pg'.*npm install pg.*\[ERR_MISSING_PACKAGE\]/);

    const outcome = JSON.parse(await sh(process.execPath, ['run.mjs'], app)) as Record<string, number>;
    expect(outcome).toEqual({ done: 100, failed: 0, sum: 2 * ((99 * 100) / 2) });
  }, 180_000);
});
