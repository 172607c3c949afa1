import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SlurmFixture, slurmSkipReason, startSlurm, waitFor } from '@bottle/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, countDone, Scene } from './_e2e.js';

const skip = slurmSkipReason();
if (skip) console.warn(skip);
let slurm: SlurmFixture;
let scene: Scene;

beforeAll(async () => {
  if (!skip) slurm = await startSlurm();
}, 60_000);
afterAll(async () => {
  await slurm?.stop();
});
afterEach(async () => {
  await scene?.close();
});

describe.skipIf(skip !== undefined)('bottle launch --slurm against a real one-node Slurm', () => {
  it('works off a 200-task sweep with a job array of 2 workers; --status lists none once they end', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.scan']);
    const launch = await scene.bottle(
      [
        'launch',
        '--slurm',
        '-s',
        server.url,
        '--array',
        '2',
        '-x',
        '1',
        '--time',
        '5',
        '--output',
        'w-%a.out',
      ],
      slurm.env,
    );
    expect(launch.stderr).toMatch(/submitted job \d+ \(2 workers of 1 slot\)/);
    expect(launch.code).toBe(0);
    const jobId = launch.stdout.trim();
    await waitFor(async () => (await countDone(server.client)) === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `the sweep to be done\n${slurm.logs()}`,
    });
    const outputs = [0, 1].map((element) => join(scene.root, `w-${element}.out`));
    await waitFor(
      () =>
        outputs.every((file) => existsSync(file) && /\d+ done, 0 failed/.test(readFileSync(file, 'utf8'))),
      { what: `both workers to print their summary (${readdirSync(scene.root).join(', ')})` },
    );
    // Each worker asked squeue how long its job has left (5 minutes) and plans to stop 30 s before.
    for (const file of outputs) {
      const seconds = Number(/stops by \S+ \((\d+) s from now\)/.exec(readFileSync(file, 'utf8'))?.[1]);
      expect(seconds).toBeGreaterThan(200);
      expect(seconds).toBeLessThanOrEqual(270);
    }
    const tasks = await allTasks(server.client);
    // Each worker names its array element: `bottle workers` tells which job it is.
    for (const task of tasks) expect(task.workerId).toMatch(new RegExp(`^slurm-${jobId}_[01]-`));
    expect(tasks.every((task) => task.attempts === 1)).toBe(true);
    await waitFor(
      async () =>
        (await scene.bottle(['launch', '--slurm', '--status'], slurm.env)).stdout.includes('no Slurm jobs'),
      {
        intervalMs: 200,
        what: 'the jobs to leave the queue',
      },
    );
  }, 120_000);

  it('a worker whose one-minute job ends mid-sweep releases its task uncharged; a second job finishes the sweep', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.uneven']);
    // Each job asks for every CPU of the node: the second waits, pending, until the first ends.
    const cpus = (await slurm.run('sinfo', ['-h', '-o', '%c'])).trim();
    const launch = (time: string, output: string) =>
      scene.bottle(
        ['launch', '--slurm', '-s', server.url, '-x', cpus, '--time', time, '--output', output],
        slurm.env,
      );
    const first = await launch('1', 'first.out');
    expect(first.code).toBe(0);
    const second = await launch('5', 'second.out');
    expect(second.code).toBe(0);
    const [firstJob, secondJob] = [first.stdout.trim(), second.stdout.trim()];
    await waitFor(async () => (await countDone(server.client)) === 9, {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: `the sweep to be done\n${slurm.logs()}`,
    });
    // The first worker stopped before its job's end and gave its long task back, uncharged.
    const firstLog = readFileSync(join(scene.root, 'first.out'), 'utf8');
    expect(firstLog).toMatch(/[1-9]\d* released to the queue/);
    const tasks = await allTasks(server.client);
    const scan = await server.client.getScan(tasks[0]?.scan ?? '');
    expect(scan.lostAttempts).toBe(0);
    const attempts = await attemptsOf(server.client, tasks);
    for (const task of tasks) {
      const outcomes = (attempts.get(task.key) ?? []).map((attempt) => attempt.outcome);
      // Done once; any attempt before that was released, none lost or failed.
      expect(outcomes.filter((outcome) => outcome === 'done')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== 'done' && outcome !== 'released')).toEqual([]);
      expect(task.chargedAttempts).toBe(1);
    }
    const long = tasks.find((task) => (task.params as { n: number }).n === 0);
    const longAttempts = attempts.get(long?.key ?? '') ?? [];
    expect(longAttempts.map((attempt) => attempt.outcome)).toEqual(['released', 'done']);
    expect(longAttempts[0]?.workerId).toMatch(new RegExp(`^slurm-${firstJob}_0-`));
    expect(longAttempts[1]?.workerId).toMatch(new RegExp(`^slurm-${secondJob}_0-`));
  }, 180_000);

  it('--status says when a pending job asks for more than a node has, and will not start', async () => {
    scene = new Scene();
    const cpus = Number((await slurm.run('sinfo', ['-h', '-o', '%c'])).trim());
    const args = ['launch', '--slurm', '--job-name', 'too-big'];
    const launch = await scene.bottle([...args, '-s', 'login1', '-x', String(cpus + 1)], slurm.env);
    expect(launch.code).toBe(0);
    const jobId = launch.stdout.trim();
    // Slurm takes the job and leaves it pending; its reason comes with the scheduler's next look.
    const status = await waitFor(
      async () => {
        const run = await scene.bottle([...args, '--status'], slurm.env);
        return /will not start/.test(run.stderr) ? run : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'squeue to give the reason the job waits' },
    );
    expect(status.stdout).toMatch(new RegExp(`^${jobId}\\S*\\s+PENDING`, 'm'));
    expect(status.stderr).toMatch(
      new RegExp(`${jobId}\\S* pending \\(\\w+\\): it asks for more than a node of its partition has`),
    );
    expect((await scene.bottle([...args, '--cancel'], slurm.env)).code).toBe(0);
  }, 60_000);

  it('--cancel: SIGTERM reaches the running worker, a second --cancel makes it release its tasks uncharged; a pending element is cancelled', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.long'], { env: { SWEEP_MS: '120000' } });
    const cpus = Number((await slurm.run('sinfo', ['-h', '-o', '%c'])).trim());
    // Each element asks for every CPU of the node: the second waits, pending.
    const launch = await scene.bottle(
      [
        'launch',
        '--slurm',
        '-s',
        server.url,
        '--array',
        '2',
        '-x',
        String(cpus),
        '--job-name',
        'cancel-me',
        '--output',
        'c-%a.out',
      ],
      slurm.env,
    );
    expect(launch.code).toBe(0);
    const jobId = launch.stdout.trim();
    await waitFor(async () => (await allTasks(server.client)).some((task) => task.state === 'running'), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the first worker to start its tasks',
    });
    const status = await scene.bottle(
      ['launch', '--slurm', '--status', '--job-name', 'cancel-me'],
      slurm.env,
    );
    expect(status.stdout).toMatch(new RegExp(`${jobId}_0\\s+RUNNING`));
    expect(status.stdout).toMatch(/PENDING/);
    const cancel = await scene.bottle(
      ['launch', '--slurm', '--cancel', '--job-name', 'cancel-me'],
      slurm.env,
    );
    expect(cancel.code).toBe(0);
    expect(cancel.stderr).toMatch(`asked ${jobId}_0 to stop`);
    expect(cancel.stderr).toMatch(`cancelled ${jobId}_`);
    const log = join(scene.root, 'c-0.out');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('stopping: no new tasks'), {
      what: 'the worker to hear SIGTERM',
    });
    const again = await scene.bottle(['launch', '--slurm', '--cancel', '--job-name', 'cancel-me'], slurm.env);
    expect(again.code).toBe(0);
    await waitFor(
      async () =>
        (
          await scene.bottle(['launch', '--slurm', '--status', '--job-name', 'cancel-me'], slurm.env)
        ).stdout.includes('no Slurm jobs'),
      {
        intervalMs: 200,
        what: `the jobs to end\n${readFileSync(log, 'utf8')}`,
      },
    );
    expect(readFileSync(log, 'utf8')).toMatch(/released to the queue/);
    const tasks = await allTasks(server.client);
    expect(tasks.map((task) => task.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
    for (const task of tasks) expect((await server.client.getTask(task.key)).task.chargedAttempts).toBe(0);
  }, 120_000);
});

describe('bottle launch --slurm: the script and mistakes, no Slurm needed', () => {
  it('--dry-run prints the script, --script-out writes it; a missing server or a Slurm option over SSH is a usage error', async () => {
    scene = new Scene();
    const args = ['launch', '--slurm', '-s', 'login1', '--time', '1:00:00', '-x', '8', '--array', '4'];
    const dry = await scene.bottle([...args, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^#SBATCH --array=0-3$/m);
    expect(dry.stdout).toMatch(/^#SBATCH --signal=B:TERM@60$/m);
    expect(dry.stdout).toMatch(/^exec \S+ \S+bottle-worker\.js http:\/\/login1:1988 -x 8$/m);
    const out = await scene.bottle([...args, '--script-out', 'job.sh']);
    expect(out.code).toBe(0);
    expect(readFileSync(join(scene.root, 'job.sh'), 'utf8')).toBe(dry.stdout);
    const noServer = await scene.bottle(['launch', '--slurm', '--dry-run']);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toMatch(/give -s URL/);
    writeFileSync(join(scene.root, 'hosts.json'), '[]');
    const overSsh = await scene.bottle(['launch', 'hosts.json', '--partition', 'P']);
    expect(overSsh.code).toBe(2);
    expect(overSsh.stderr).toMatch(/--partition: only with --slurm/);
  });
});
