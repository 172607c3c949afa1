import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Launchers, type LaunchRequest } from '../src/command/launcher.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Running or sleeping: a zombie waiting for init to reap it is dead. */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

function setup(kind: 'perl' | 'node') {
  const temp = makeTempDir('bottle-launchers-');
  cleanups.push(() => temp.remove());
  const launchers = new Launchers(2, kind);
  cleanups.push(() => launchers.close());
  let n = 0;
  /** A request for `sh -c script` in a folder of its own. */
  const request = (script: string, more: Partial<LaunchRequest> = {}): LaunchRequest => {
    const dir = join(temp.path, `task-${++n}`);
    mkdirSync(dir);
    return {
      file: 'sh',
      args: ['-c', script, 'sh'],
      cwd: dir,
      env: {},
      stdout: join(dir, 'stdout.log'),
      stderr: join(dir, 'stderr.log'),
      attempt: 1,
      workerId: 'w-1',
      ...more,
    };
  };
  return { root: temp.path, launchers, request };
}

// The Perl launcher where the machine has perl (Debian's perl-base has all it needs), else Node's:
// both keep the same promises.
describe.each(['perl', 'node'] as const)('%s command launcher', (kind) => {
  it('runs a program in its folder with its environment, output in its logs, and tells its exit code', async () => {
    const { launchers, request } = setup(kind);
    const asked = request('echo "out $X $(pwd)"; echo "err $1" >&2; exit 3', {
      args: ['-c', 'echo "out $X $(pwd)"; echo "err $1" >&2; exit 3', 'sh', 'two words'],
      env: { X: 'it is "x"=1' },
    });
    const exit = await launchers.start(asked).end;
    expect(exit).toMatchObject({ code: 3, signal: null });
    expect(exit.pid).toBeGreaterThan(0);
    expect(readFileSync(asked.stdout, 'utf8')).toBe(`out it is "x"=1 ${asked.cwd}\n`);
    expect(readFileSync(asked.stderr, 'utf8')).toBe('err two words\n');
  });

  it('names the signal that killed a program, and marks a later attempt in logs that hold output', async () => {
    const { launchers, request } = setup(kind);
    const first = request('echo -n partial; kill -TERM $$');
    expect(await launchers.start(first).end).toMatchObject({ code: null, signal: 'SIGTERM' });
    const again = { ...first, args: ['-c', 'echo second'], attempt: 2 };
    expect(await launchers.start(again).end).toMatchObject({ code: 0, signal: null });
    expect(readFileSync(first.stdout, 'utf8')).toMatch(
      /^partial\n--- attempt 2 \(worker w-1, [^)]+\) ---\nsecond\n$/,
    );
  });

  it('tells a program that cannot start (ENOENT), and refuses a NUL byte before any process', async () => {
    const { launchers, request } = setup(kind);
    const missing = await launchers.start(request('', { file: 'no-such-program-here', args: [] })).end;
    expect(missing.error?.code).toBe('ENOENT');
    const nul = await launchers.start(request('echo a\0b')).end;
    expect(nul.refused).toMatch(/null bytes/);
  });

  it('kills the group of a program on the word, and every group still running when closed', async () => {
    const { root, launchers, request } = setup(kind);
    // Each program starts a child deaf to SIGTERM in its group, writes the child's pid, and waits.
    const script = (name: string) =>
      `sh -c 'trap "" TERM; exec sleep 300' & echo $! > ${join(root, name)}; trap "" TERM; wait`;
    const killed = launchers.start(request(script('a')));
    const child = await waitFor(() => pidIn(join(root, 'a')));
    killed.kill('SIGKILL');
    expect(await killed.end).toMatchObject({ signal: 'SIGKILL' });
    await waitFor(() => !running(child) || undefined, { what: 'the group to die with its program' });

    const left = launchers.start(request(script('b')));
    const orphan = await waitFor(() => pidIn(join(root, 'b')));
    await launchers.close();
    await left.end;
    await waitFor(() => !running(orphan) || undefined, { what: 'the group to die with the launchers' });
  });
});

function pidIn(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return pid > 0 ? pid : undefined;
}
