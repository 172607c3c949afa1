/**
 * The consumer test's parts: pack the four packages as they would be published, lay out a user's
 * project (outside this workspace) that depends on the tarballs, install it with npm or pnpm,
 * type-check it with TypeScript 5.9 and 7, and run what a user runs.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnChild } from '@bottle/test-utils';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const sources = fileURLToPath(new URL('./consumers', import.meta.url));
const PACKAGES = ['protocol', 'server', 'worker', 'cli'] as const;
export type PackageManager = 'npm' | 'pnpm';
export type ProjectKind = 'task' | 'embedder' | 'cli';

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: this process's, less what pnpm and vitest add (undefined: a
 * child gets no such variable, also through spawnChild, which adds process.env). NODE_PATH above
 * all: it points into this workspace's node_modules, where a consumer's missing dependency would
 * be found.
 */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).map(([key, value]) => [
    key,
    /^(NODE_PATH|NODE_ENV|VITEST.*|npm_.*|pnpm_.*)$/i.test(key) ? undefined : value,
  ]),
);

/** Runs a command to its end; throws on a non-zero exit unless `allowFailure`, or when it outlives `timeoutMs`. */
export async function sh(
  command: string,
  args: string[],
  cwd: string,
  { allowFailure = false, timeoutMs = 180_000 } = {},
): Promise<Output> {
  try {
    const options = {
      cwd,
      env: userEnv,
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
      killSignal: 'SIGKILL' as const,
    };
    const { stdout, stderr } = await run(command, args, options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: unknown; stdout?: string; stderr?: string };
    if (allowFailure && typeof code === 'number') return { code, stdout, stderr };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

/** `pnpm pack` of each package (from its built dist): what `pnpm publish` would upload. */
export async function packAll(dir: string): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  for (const name of PACKAGES) {
    await sh('pnpm', ['pack', '--pack-destination', dir], join(repoRoot, 'packages', name));
  }
  const files = readdirSync(dir);
  return Object.fromEntries(
    PACKAGES.map((name) => {
      const file = files.find((entry) => entry.startsWith(`bottle-${name}-`));
      if (!file) throw new Error(`pnpm pack wrote no tarball of @bottle/${name} into ${dir}`);
      return [`@bottle/${name}`, `file:${join(dir, file)}`];
    }),
  );
}

const serverManifest = readJson(join(repoRoot, 'packages/server/package.json')) as {
  dependencies: Record<string, string>;
};
/** What each kind of user installs: only that, so that a missing types package shows. */
const DEPENDENCIES: Record<ProjectKind, string[]> = {
  task: ['@bottle/worker', '@bottle/protocol'],
  embedder: ['@bottle/server', '@bottle/worker', 'express', '@types/express'],
  cli: ['@bottle/cli'],
};

/**
 * A project of `kind` in `dir`, depending on the tarballs. The packages' dependencies on one another
 * resolve to the tarballs too (overrides), never to the registry. With pnpm, `allowBuild` lists
 * better-sqlite3 in `onlyBuiltDependencies` up front, as docs/installing.md says.
 */
export function layOut(
  dir: string,
  kind: ProjectKind,
  manager: PackageManager,
  tarballs: Record<string, string>,
  allowBuild = true,
): void {
  cpSync(join(sources, kind), dir, { recursive: true });
  cpSync(join(sources, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  cpSync(join(sources, 'require.cjs'), join(dir, 'require.cjs'));
  const spec = (name: string) =>
    tarballs[name] ?? serverManifest.dependencies[name] ?? failure(`no version for ${name}`);
  const dependencies = Object.fromEntries(DEPENDENCIES[kind].map((name) => [name, spec(name)]));
  const overrides = manager === 'npm' ? { overrides: tarballs } : { pnpm: { overrides: tarballs } };
  writeJson(join(dir, 'package.json'), {
    name: `bottle-${kind}-user`,
    private: true,
    type: 'module',
    dependencies,
    ...overrides,
  });
  if (manager === 'pnpm' && allowBuild) allowSqliteBuild(dir);
}

/** The fix docs/installing.md gives for pnpm 10: let better-sqlite3's build script run. */
export function allowSqliteBuild(dir: string): void {
  writeFileSync(
    join(dir, 'pnpm-workspace.yaml'),
    'onlyBuiltDependencies:\n  - better-sqlite3\nignoredBuiltDependencies:\n  - cpu-features\n  - ssh2\n',
  );
}

/**
 * npm runs no install script here (`--ignore-scripts`: better-sqlite3 would compile for a minute
 * each time); `copyBinding` then puts this workspace's build of the same version in place. pnpm
 * builds what it is allowed to once per machine and takes it from its store's cache afterwards.
 */
export async function install(manager: PackageManager, dir: string): Promise<void> {
  if (manager === 'npm') {
    await sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], dir);
  } else {
    // CI=true would make pnpm insist on a lockfile the new project does not have.
    await sh('pnpm', ['install', '--no-frozen-lockfile', '--prefer-offline', '--reporter=append-only'], dir);
  }
}

export const BINDING = 'build/Release/better_sqlite3.node';

/** The directory of better-sqlite3 as the project's @bottle/server (its own, or @bottle/cli's) loads it. */
export async function installedSqlite(dir: string): Promise<string> {
  const script = `
    const { createRequire } = require('node:module');
    let from = createRequire(process.cwd() + '/');
    try { from = createRequire(from.resolve('@bottle/cli/package.json')); } catch {}
    const server = from.resolve('@bottle/server/package.json');
    console.log(require('node:path').dirname(createRequire(server).resolve('better-sqlite3/package.json')));`;
  return (await sh(process.execPath, ['-e', script], dir)).stdout.trim();
}

/** This workspace's compiled better-sqlite3, for an npm project installed without scripts. */
export function copyBinding(sqliteDir: string): void {
  const ours = dirname(
    createRequire(join(repoRoot, 'packages/server/package.json')).resolve('better-sqlite3/package.json'),
  );
  mkdirSync(join(sqliteDir, dirname(BINDING)), { recursive: true });
  cpSync(join(ours, BINDING), join(sqliteDir, BINDING));
}

/** The workspace's TypeScript (5.9) and this folder's own (7, the native compiler; its program is tsc too). */
const compilers = [
  join(repoRoot, 'node_modules/typescript/bin/tsc'),
  fileURLToPath(new URL('./node_modules/typescript/bin/tsc', import.meta.url)),
];

/** Type-checks the project with each compiler; resolves to the versions that ran. */
export async function typeCheck(dir: string): Promise<string[]> {
  const versions: string[] = [];
  for (const tsc of compilers) {
    const result = await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], dir, { allowFailure: true });
    const { stdout: version } = await sh(process.execPath, [tsc, '--version'], dir);
    if (result.code !== 0)
      throw new Error(`${version.trim()} found errors in ${dir}:\n${result.stdout}${result.stderr}`);
    versions.push(version.trim());
  }
  return versions;
}

/** `require()` of each @bottle package the project depends on: how many names each exports. */
export async function requireAll(dir: string): Promise<Record<string, number>> {
  return JSON.parse((await sh(process.execPath, ['require.cjs'], dir)).stdout) as Record<string, number>;
}

/** A program of the project's own @bottle/cli (a direct dependency: there with npm and pnpm alike). */
export function bin(dir: string, name: 'bottle' | 'bottle-server' | 'bottle-worker'): string {
  return join(dir, 'node_modules/@bottle/cli/bin', `${name}.js`);
}

/** The CLI user's 20-task sweep through the installed programs: done count and the sum of results. */
export async function sweepThroughBins(dir: string): Promise<{ done: number; sum: number }> {
  const server = spawnChild(
    process.execPath,
    [
      bin(dir, 'bottle-server'),
      '-p',
      'tasks.scan',
      '--db',
      'queue.db',
      '--port',
      '0',
      '--log-format',
      'json',
    ],
    { cwd: dir, env: userEnv },
  );
  try {
    const [, url] = (await server.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+) /)) as string[];
    await server.waitForOutput(/scan 'cli-sweep': 20 new tasks/);
    await sh(process.execPath, [bin(dir, 'bottle-worker'), url as string, '-x', '4'], dir);
    const { stdout } = await sh(
      process.execPath,
      [bin(dir, 'bottle'), 'results', '--server', url as string, '--scan', 'cli-sweep', '--format', 'json'],
      dir,
    );
    const rows = JSON.parse(stdout) as { state: string; double: number }[];
    return {
      done: rows.filter((row) => row.state === 'done').length,
      sum: rows.reduce((sum, row) => sum + row.double, 0),
    };
  } finally {
    await server.stop();
  }
}

/** The embedder's 20-task sweep through the libraries (sweep.mjs). */
export async function sweepThroughLibrary(dir: string): Promise<Record<string, number>> {
  return JSON.parse((await sh(process.execPath, ['sweep.mjs'], dir)).stdout) as Record<string, number>;
}

/** `bottle-server --db <file>` expected to fail: its exit code and what it printed. */
export async function serveFails(dir: string, file: string, node = process.execPath): Promise<Output> {
  // A server that starts after all would serve until killed: the timeout ends it, and the test fails.
  const args = [bin(dir, 'bottle-server'), '--db', file, '--port', '0'];
  return sh(node, args, dir, { allowFailure: true, timeoutMs: 30_000 });
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function removeModules(dir: string): void {
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
}

function failure(message: string): never {
  throw new Error(message);
}
