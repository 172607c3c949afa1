// Command tasks and sweeps without code, end to end through the real bins: bottle-server -p with a
// sweep file, bottle post --grid/--zip/--jsonl, and bottle-worker running the Python example.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, repoRoot, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

const hasPython = spawnSync('sh', ['-c', 'command -v python3']).status === 0;

/** The Python example's files in the scene's worker root. */
function withPythonExample(scene: Scene): void {
  for (const file of ['bottle.yaml', 'train.py', 'sweep.yaml']) {
    cpSync(join(repoRoot, 'examples', 'python', file), join(scene.root, file));
  }
}

describe('command tasks through the real bins', () => {
  it.skipIf(!hasPython)(
    'bottle-server -p sweep.yaml, then bottle-worker runs the Python example',
    async () => {
      scene = new Scene();
      withPythonExample(scene);
      const server = await scene.server(['-p', 'sweep.yaml']);
      expect(server.child.stdout).toMatch(/scan 'lr-sweep': 12 new tasks/);
      const worker = scene.worker(server.url, ['-x', '2']);
      expect(await worker.exited).toBe(0);
      expect(worker.stdout).toMatch(/12 done, 0 failed/);
      const tasks = await allTasks(server.client);
      expect(tasks).toHaveLength(12);
      for (const task of tasks) {
        expect(task.state).toBe('done');
        expect(task.result).toMatchObject({ converged: task.params.lr !== 0.01 });
        const onDisk = JSON.parse(
          readFileSync(join(scene.root, 'out', task.paramsHash, 'result.json'), 'utf8'),
        );
        expect(onDisk).toEqual(task.result);
      }
    },
  );

  it.skipIf(!hasPython)(
    'bottle post --grid (with --dry-run first), --zip and --jsonl submit what they say',
    async () => {
      scene = new Scene();
      withPythonExample(scene);
      const server = await scene.server();
      const s = ['--server', server.url];
      const dry = await scene.bottle([
        'post',
        'train',
        '--grid',
        'lr=0.3,0.1',
        '--grid',
        'seed=1..3',
        '--dry-run',
        ...s,
      ]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/scan 'train': 6 tasks \(dry run: nothing submitted\) of task train/);
      expect(dry.stdout).toContain('{"lr":0.3,"seed":1}\n');
      expect(dry.stdout).toContain('{"lr":0.1,"seed":2}\n');
      const workerDry = scene.worker(server.url, ['-p', 'sweep.yaml', '--post', '--dry-run']);
      expect(await workerDry.exited).toBe(0);
      expect(workerDry.stdout).toMatch(
        /scan 'lr-sweep': 12 tasks \(dry run: nothing submitted\) of task train/,
      );
      expect(await allTasks(server.client)).toEqual([]);

      const grid = await scene.bottle(['post', 'train', '--grid', 'lr=0.3,0.1', '--grid', 'seed=1..3', ...s]);
      expect(grid.stdout).toMatch(/scan 'train': 6 new, 0 already known/);
      const zip = await scene.bottle([
        'post',
        'train',
        '--zip',
        'lr=0.5,0.2',
        '--zip',
        'seed=7,8',
        '--scan',
        'zipped',
        ...s,
      ]);
      expect(zip.stdout).toMatch(/scan 'zipped': 2 new/);
      writeFileSync(join(scene.root, 'sets.jsonl'), '{"lr": 0.25, "seed": 11}\n\n{"lr": 0.3, "seed": 1}\n');
      const lines = await scene.bottle([
        'post',
        'train',
        '--jsonl',
        'sets.jsonl',
        // The former spelling of --scan still works.
        '--name',
        'from-lines',
        ...s,
      ]);
      // The second line is a task the grid already made: one task per parameter set, whatever the scan.
      expect(lines.stdout).toMatch(/scan 'from-lines': 1 new, 1 already known/);
      const bad = await scene.bottle(['post', 'train', '--zip', 'lr=1,2', '--zip', 'seed=1', ...s]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/ERR_BAD_PARAM_SET/);

      const worker = scene.worker(server.url, ['-x', '2']);
      expect(await worker.exited).toBe(0);
      const tasks = await allTasks(server.client);
      expect(tasks.map((t) => `${t.params.lr}/${t.params.seed}`).sort()).toEqual(
        ['0.1/1', '0.1/2', '0.1/3', '0.2/8', '0.25/11', '0.3/1', '0.3/2', '0.3/3', '0.5/7'].sort(),
      );
      expect(tasks.every((t) => t.state === 'done')).toBe(true);
    },
  );

  it('a worker without the definition releases the tasks uncharged, says why once and exits 1; another runs them', async () => {
    scene = new Scene();
    writeFileSync(
      join(scene.root, 'bottle.yaml'),
      `tasks:\n  greet:\n    command: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync('result.json', JSON.stringify(process.argv[1]))", "{who}"]\n`,
    );
    const bare = join(scene.dir, 'elsewhere');
    mkdirSync(bare);
    const server = await scene.server();
    const post = await scene.bottle([
      'post',
      'greet',
      '--grid',
      'who=ann,bob,cy,dee',
      '--server',
      server.url,
    ]);
    expect(post.code).toBe(0);
    await server.client.submit([{ task: 'greet', params: { who: 'eve' }, maxAttempts: 1 }]);

    const lacking = scene.worker(server.url, ['-x', '2', '--root', bare]);
    expect(await lacking.exited).toBe(1);
    expect(lacking.stderr.match(/cannot run task "greet" here/g)).toHaveLength(1);
    expect(lacking.stderr).toMatch(/ran nothing: no module or command-task definition here for greet/);

    // The same bare root with --task-file naming the definitions: now it has them.
    const having = scene.worker(server.url, [
      '-x',
      '2',
      '--root',
      bare,
      '--task-file',
      join(scene.root, 'bottle.yaml'),
    ]);
    expect(await having.exited).toBe(0);
    expect(having.stdout).toMatch(/5 done, 0 failed/);
    const tasks = await allTasks(server.client);
    expect(tasks.map((t) => t.result).sort()).toEqual(['ann', 'bob', 'cy', 'dee', 'eve']);
    for (const [key, attempts] of await attemptsOf(server.client, tasks)) {
      expect(attempts.at(-1)?.outcome, key).toBe('done');
      expect(
        attempts.filter((a) => a.outcome !== 'released'),
        key,
      ).toHaveLength(1);
    }
  });

  it('bottle-worker leaves no process behind: after a timeout, an exit, and a cancel while running', async () => {
    scene = new Scene();
    // Each program starts a child deaf to SIGHUP and SIGTERM in its group, writes both pids, then
    // waits (the first, past its timeout) or exits at once (the second, leaving the child behind).
    const program = [
      "const { spawn } = require('node:child_process');",
      "const { writeFileSync } = require('node:fs');",
      "const child = spawn('sh', ['-c', 'trap \"\" HUP TERM; exec sleep 300'], { stdio: 'ignore' });",
      'child.unref();',
      'writeFileSync(process.argv[2], JSON.stringify([process.pid, child.pid]));',
      "if (process.argv[3] === 'wait') setInterval(() => {}, 1000);",
      '',
    ].join('\n');
    writeFileSync(join(scene.root, 'spawns.cjs'), program);
    const node = JSON.stringify(process.execPath);
    writeFileSync(
      join(scene.root, 'bottle.yaml'),
      [
        'tasks:',
        '  hangs:',
        `    command: [${node}, "{root}/spawns.cjs", "{root}/pids-{n}", wait]`,
        '    timeout: 1s',
        '  leaves:',
        `    command: [${node}, "{root}/spawns.cjs", "{root}/pids-{n}", exit]`,
        '  waits:',
        `    command: [${node}, "{root}/spawns.cjs", "{root}/pids-{n}", wait]`,
        '',
      ].join('\n'),
    );
    // A short lease: heartbeats (which carry the cancel to the worker) every second.
    const server = await scene.server(['--lease', '3']);
    await server.client.submit([
      { task: 'hangs', params: { n: 1 }, maxAttempts: 1 },
      { task: 'leaves', params: { n: 2 } },
      { task: 'waits', params: { n: 3 } },
    ]);
    const worker = scene.worker(server.url, ['-x', '3']);
    await waitFor(() => existsSync(join(scene.root, 'pids-3')), { what: 'the task to cancel to start' });
    const [waiting] = (await allTasks(server.client)).filter((t) => t.task === 'waits');
    await server.client.cancelTask(waiting?.key as string);
    // The task past its timeout failed for good (one attempt): the worker says so by its exit code.
    expect(await worker.exited).toBe(1);
    expect(worker.stdout).toMatch(/1 done, 1 failed/);
    for (const n of [1, 2, 3]) {
      const [leader, child] = JSON.parse(readFileSync(join(scene.root, `pids-${n}`), 'utf8')) as number[];
      // A zombie waiting for init to reap it is dead: only a running or sleeping process counts.
      const running = (pid: number) => {
        const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)])
          .stdout.toString()
          .trim();
        return stat !== '' && !stat.startsWith('Z');
      };
      expect(running(child as number), `task ${n}: child ${child} of group ${leader}`).toBe(false);
    }
  });
});
