/**
 * Helpers for the end-to-end tests: the built programs run as real child processes
 * (`node packages/cli/bin/<program>.js`), each test with its own temporary directory holding the
 * SQLite file and a worker root with a copy of the fixture task modules.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptInfo, TaskInfo } from '@bottle/protocol';
import { type ChildHandle, makeTempDir, spawnChild } from '@bottle/test-utils';
import { BottleClient } from '@bottle/worker';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const fixturesDir = fileURLToPath(new URL('./fixtures', import.meta.url));
export type Program = 'bottle' | 'bottle-server' | 'bottle-worker';
export const binPath = (program: Program) => join(repoRoot, 'packages/cli/bin', `${program}.js`);

/** One test's world: a temp dir, a worker root with the fixtures, and everything to clean up. */
export class Scene {
  readonly dir: string;
  readonly root: string;
  readonly db: string;
  readonly #cleanups: Array<() => unknown> = [];
  readonly #children: ChildHandle[] = [];

  constructor() {
    const temp = makeTempDir('bottle-cli-e2e-');
    this.dir = temp.path;
    this.root = join(this.dir, 'root');
    mkdirSync(this.root);
    cpSync(fixturesDir, this.root, { recursive: true });
    this.db = join(this.dir, 'bottle.db');
    this.#cleanups.push(() => temp.remove());
  }

  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  /**
   * Starts a program; it is killed (-9) at cleanup if still running. With `ownGroup` it runs as the
   * leader of a new session and process group (`setsid`), as a program started from a terminal.
   */
  spawn(program: Program, args: string[], env: NodeJS.ProcessEnv = {}, ownGroup = false): ChildHandle {
    const argv = [process.execPath, binPath(program), ...args];
    const child = spawnChild(ownGroup ? 'setsid' : (argv.shift() as string), argv, {
      cwd: this.root,
      // Nothing from the developer's session: no agent, server, token or debug output (spawn drops
      // undefined variables).
      env: {
        SSH_AUTH_SOCK: undefined,
        BOTTLE_SERVER: undefined,
        BOTTLE_TOKEN: undefined,
        DEBUG: undefined,
        ...env,
      },
    });
    this.#children.push(child);
    return child;
  }

  /** Starts bottle-server on the scene's db and waits until its queue is ready. */
  async server(
    args: string[] = [],
    options: { port?: number; env?: NodeJS.ProcessEnv } = {},
  ): Promise<ServerHandle> {
    const child = this.spawn(
      'bottle-server',
      ['--db', this.db, '--port', String(options.port ?? 0), ...args],
      options.env,
    );
    const [, url] = await child.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/);
    await child.waitForOutput(/tasks queued/);
    const client = new BottleClient({ server: url as string });
    this.defer(() => client.close());
    return { child, url: url as string, client };
  }

  worker(url: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, ownGroup = false): ChildHandle {
    return this.spawn('bottle-worker', [url, ...args], env, ownGroup);
  }

  /** Runs `bottle ARGS` to its end. */
  async bottle(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
    const child = this.spawn('bottle', args, env);
    const code = await child.exited;
    return { code, stdout: child.stdout, stderr: child.stderr };
  }

  /** `bottle ls --json --limit 0 [filters]`: every task, as the CLI prints them. */
  async ls(url: string, filters: string[] = []): Promise<TaskInfo[]> {
    const run = await this.bottle(['ls', '--json', '--limit', '0', '--server', url, ...filters]);
    if (run.code !== 0) throw new Error(`bottle ls exited ${run.code}: ${run.stderr}`);
    return (JSON.parse(run.stdout) as { tasks: TaskInfo[] }).tasks;
  }

  async close(): Promise<void> {
    for (const child of this.#children.splice(0)) await child.kill9();
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
  }
}

export interface ServerHandle {
  child: ChildHandle;
  url: string;
  /** An in-process client, for polling without spawning a process per look. */
  client: BottleClient;
}

export interface Finished {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Every task of the queue (or of one scan), through the client. */
export async function allTasks(client: BottleClient, scan?: string): Promise<TaskInfo[]> {
  const tasks: TaskInfo[] = [];
  for await (const task of client.iterateTasks(scan ? { scan } : {})) tasks.push(task);
  return tasks;
}

/** How many tasks are done (for waitFor). */
export async function countDone(client: BottleClient, scan?: string): Promise<number> {
  return (await allTasks(client, scan)).filter((task) => task.state === 'done').length;
}

/** The attempt history of every task, keyed by task key. */
export async function attemptsOf(
  client: BottleClient,
  tasks: TaskInfo[],
): Promise<Map<string, AttemptInfo[]>> {
  const map = new Map<string, AttemptInfo[]>();
  for (const task of tasks) map.set(task.key, (await client.getTask(task.key)).attempts);
  return map;
}
