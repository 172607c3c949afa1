/**
 * better-sqlite3's compiled module, loaded before any queue file is looked at. A package manager
 * that ran no build scripts (pnpm 10 by default, `npm install --ignore-scripts`) leaves it
 * missing, and a Node.js upgrade leaves it built for another Node: either way the fault is the
 * installation, so the error says how to build it and that the queue file was left alone.
 */
import { BottleError } from '@bottle/protocol';
import Database from 'better-sqlite3';

let loaded = false;

/** Throws ERR_SQLITE_BINDING, naming the fix, when better-sqlite3's compiled module cannot load. */
export function loadSqliteBinding(): void {
  if (loaded) return;
  try {
    // better-sqlite3 loads its compiled module on the first `new Database`, not on import.
    new Database(':memory:').close();
  } catch (error) {
    const problem = bindingProblem(error);
    if (problem === undefined) throw error;
    const fix = problem.kind === 'missing' ? BUILD : REBUILD;
    throw new BottleError('ERR_SQLITE_BINDING', `${DRIVER} ${problem.what}\n${fix}\n${AFTER}`, {
      cause: error,
    });
  }
  loaded = true;
}

const DRIVER = "better-sqlite3, the SQLite driver bottle's queue runs on,";
const YARN = '  yarn: yarn rebuild better-sqlite3 (Yarn 1: yarn install --force)';
const BUILD = [
  'Build it in the project that installed bottle (it compiles for about a minute when no prebuilt copy can be downloaded):',
  '  pnpm: pnpm approve-builds, and select better-sqlite3 (or list it under onlyBuiltDependencies in pnpm-workspace.yaml, then pnpm install)',
  '  npm:  npm rebuild better-sqlite3',
  YARN,
].join('\n');
const REBUILD = [
  'Rebuild it for this Node.js in the project that installed bottle:',
  '  pnpm: pnpm rebuild better-sqlite3',
  '  npm:  npm rebuild better-sqlite3',
  YARN,
].join('\n');
const AFTER = 'The queue file was not opened. See "Native modules" in docs/installing.md.';

/** What went wrong, in the user's terms; undefined for an error that is not about the binding. */
function bindingProblem(error: unknown): { kind: 'missing' | 'foreign'; what: string } | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('Could not locate the bindings file')) {
    return {
      kind: 'missing',
      what: 'is installed without its compiled module: its build script did not run (pnpm 10 runs only the build scripts it is allowed to; npm --ignore-scripts runs none).',
    };
  }
  const versions = [...message.matchAll(/NODE_MODULE_VERSION (\d+)/g)].map((match) => match[1]);
  if (versions.length === 2) {
    return {
      kind: 'foreign',
      what: `was compiled for another version of Node.js (NODE_MODULE_VERSION ${versions[0]}; Node.js ${process.version} needs ${versions[1]}), as happens after a Node.js upgrade.`,
    };
  }
  if ((error as { code?: unknown }).code === 'ERR_DLOPEN_FAILED') {
    const reason = message.split('\n', 1)[0];
    return {
      kind: 'foreign',
      what: `has a compiled module this machine cannot load, built elsewhere or for another system (${reason}).`,
    };
  }
  return undefined;
}
