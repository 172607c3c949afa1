import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParams, isBottleError, type TaskSpec } from '@bottle/protocol';
import { type ServerEvent, startBottleServer } from '@bottle/server';
import { makeTempDir, spawnChild, waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTaskFile, taskEntryKeys } from '../src/command/task-file.js';
import { BottleClient, Worker } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const node = JSON.stringify(process.execPath);
const jitiRegister = join(
  dirname(createRequire(import.meta.url).resolve('jiti/package.json')),
  'lib',
  'jiti-register.mjs',
);

/** Programs the task file runs; each is plain Node, so the test needs no other interpreter. */
const programs: Record<string, string> = {
  'echo-argv.mjs': `process.stdout.write(JSON.stringify(process.argv.slice(2)));`,
  'env.mjs': `import { writeFileSync, readFileSync } from 'node:fs';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BOTTLE_') || k === 'FROM_FILE'));
writeFileSync('result.json', JSON.stringify({ env, cwd: process.cwd(), params: JSON.parse(readFileSync(process.env.BOTTLE_PARAMS_FILE, 'utf8')) }));`,
  'exit.mjs': `console.error('something went wrong: ' + process.argv[2]); process.exit(Number(process.argv[2]));`,
  'signal.mjs': `console.error('about to die'); process.kill(process.pid, process.argv[2]);`,
  // Starts two children in its group that would outlive it (deaf to SIGHUP and SIGTERM), writes its pid, then waits.
  'forks.mjs': `import { spawn } from 'node:child_process'; import { writeFileSync } from 'node:fs';
for (let i = 0; i < 2; i++) spawn('sh', ['-c', 'trap "" HUP TERM; exec sleep 300'], { stdio: 'ignore' });
writeFileSync(process.argv[2], String(process.pid));
setInterval(() => {}, 1000);`,
  'bad-result.mjs': `import { writeFileSync } from 'node:fs'; writeFileSync('result.json', '{not json');`,
};

const taskFile = `
tasks:
  echo:
    command: [${node}, "{root}/echo-argv.mjs", "{v}", "--flag={v}", "{{literal}}"]
  shell-echo:
    shell: printf '%s' {v} > shell-out.txt
  env:
    command: [${node}, "{root}/env.mjs"]
    env: { FROM_FILE: "lr is {lr}" }
  exit:
    command: [${node}, "{root}/exit.mjs", "{code}"]
  signal:
    command: [${node}, "{root}/signal.mjs", "{signal}"]
  forks:
    command: [${node}, "{root}/forks.mjs", "{root}/pid-{n}"]
    timeout: 1s
  bad-result:
    command: [${node}, "{root}/bad-result.mjs"]
  no-such-program:
    command: [definitely-not-a-program-here]
  missing-param:
    command: [${node}, "{root}/echo-argv.mjs", "{nope}"]
  'true':
    command: ['true', '{n}']
  waits:
    command: [${node}, "{root}/forks.mjs", "{root}/pid-{n}"]
`;

async function setup(
  options: { leaseMs?: number; heartbeatMs?: number; onEvent?: (e: ServerEvent) => void } = {},
) {
  const temp = makeTempDir('bottle-command-');
  cleanups.push(() => temp.remove());
  for (const [name, text] of Object.entries(programs)) writeFileSync(join(temp.path, name), text);
  writeFileSync(join(temp.path, 'bottle.yaml'), taskFile);
  const server = await startBottleServer({ port: 0, db: join(temp.path, 'bottle.db'), ...options });
  cleanups.push(() => server.close());
  const client = new BottleClient({ server: server.url, retries: 0 });
  cleanups.push(() => client.close());
  const newWorker = (opts: Partial<ConstructorParameters<typeof Worker>[0]> = {}) => {
    const worker = new Worker({
      server: server.url,
      root: temp.path,
      maxBackoffMs: 200,
      stopGraceMs: 300,
      ...opts,
    });
    cleanups.push(() => worker.stop({ force: true }));
    return worker;
  };
  const outDir = (params: Record<string, unknown>) => join(temp.path, 'out', hashParams(params));
  return { root: temp.path, server, client, newWorker, outDir };
}

const nasty = [
  'two words',
  `it's "quoted"`,
  'x; rm -rf ~',
  '$(touch pwned)',
  '`touch pwned`',
  'line1\nline2',
  '-rf',
  '--help',
  'héllo wörld ✓ 日本',
  '',
  '*',
  '{v}',
  "'; exit 3; '",
];

describe('command tasks', () => {
  it('passes every parameter value as one exact argument, without a shell, and in shell form as one word', async () => {
    const { root, client, newWorker, outDir } = await setup();
    // Two folders per value: tasks with the same parameters would share one, and its logs.
    const specs: TaskSpec[] = nasty.flatMap((v): TaskSpec[] => [
      { task: 'echo', params: { v } },
      { task: 'shell-echo', params: { v, form: 'shell' } },
    ]);
    await client.submit(specs);
    const summary = await newWorker({ slots: 4 }).run();
    expect(summary).toMatchObject({ done: specs.length, failed: 0 });
    for (const v of nasty) {
      const argv = JSON.parse(readFileSync(join(outDir({ v }), 'stdout.log'), 'utf8'));
      expect(argv).toEqual([v, `--flag=${v}`, '{literal}']);
      expect(readFileSync(join(outDir({ v, form: 'shell' }), 'shell-out.txt'), 'utf8')).toBe(v);
    }
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('gives the program its parameters as env vars and params.json, runs it in its output folder, and takes result.json', async () => {
    const { client, newWorker, outDir } = await setup();
    const params = { lr: 0.01, 'batch-size': 32, name: 'a b', deep: { x: [1, 2] } };
    await client.submit([{ task: 'env', params }]);
    const done: unknown[] = [];
    const worker = newWorker();
    worker.on('task.done', (_task, result) => done.push(result));
    expect(await worker.run()).toMatchObject({ done: 1, failed: 0 });
    const dir = outDir(params);
    const result = done[0] as { env: Record<string, string>; cwd: string; params: unknown };
    expect(result.cwd).toBe(dir);
    expect(result.params).toEqual(params);
    expect(result.env).toMatchObject({
      BOTTLE_PARAM_LR: '0.01',
      BOTTLE_PARAM_BATCH_SIZE: '32',
      BOTTLE_PARAM_NAME: 'a b',
      BOTTLE_PARAM_DEEP: '{"x":[1,2]}',
      BOTTLE_OUTDIR: dir,
      BOTTLE_PARAMS_FILE: join(dir, 'params.json'),
      BOTTLE_TASK: 'env',
      BOTTLE_ATTEMPT: '1',
      FROM_FILE: 'lr is 0.01',
    });
    const [task] = (await client.listTasks({})).tasks;
    expect(result.env.BOTTLE_KEY).toBe(task?.key);
    expect(task?.result).toEqual(result);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'))).toMatchObject({
      state: 'done',
      exitCode: 0,
    });
  });

  it('fails a non-zero exit with the tail of stderr, a signal death naming the signal, and bad starts for good', async () => {
    const { client, newWorker } = await setup();
    const specs: TaskSpec[] = [
      { task: 'exit', params: { code: 3 } },
      { task: 'signal', params: { signal: 'SIGKILL' } },
      { task: 'bad-result', params: {} },
      { task: 'no-such-program', params: {} },
      { task: 'missing-param', params: { v: 1 } },
      { task: 'echo', params: { v: 'nul\u0000inside' } },
    ];
    await client.submit(specs.map((spec) => ({ ...spec, maxAttempts: 1 })));
    const worker = newWorker({ slots: 2 });
    const errors = new Map<string, string>();
    worker.on('task.failed', (task, error) => errors.set(task.task, `${error.code}: ${error.message}`));
    expect(await worker.run()).toMatchObject({ done: 0, failed: 6 });
    expect(errors.get('exit')).toMatch(
      /^ERR_TASK_FAILED: the command exited with code 3[\s\S]*something went wrong: 3/,
    );
    expect(errors.get('signal')).toMatch(
      /^ERR_TASK_CRASHED: the command was killed by SIGKILL[\s\S]*about to die/,
    );
    expect(errors.get('bad-result')).toMatch(/result.json is not valid JSON/);
    expect(errors.get('no-such-program')).toMatch(/cannot start "definitely-not-a-program-here"/);
    expect(errors.get('echo')).toMatch(/cannot start .*null bytes/);
    expect(errors.get('missing-param')).toMatch(/ERR_BAD_PARAMS: the command uses \{nope\}.*they have: v/);
  });

  it('fails a task that runs past its timeout with ERR_TASK_TIMEOUT', async () => {
    const { client, newWorker } = await setup();
    await client.submit([{ task: 'forks', params: { n: 1 }, maxAttempts: 1 }]);
    const worker = newWorker();
    const errors: string[] = [];
    worker.on('task.failed', (_task, error) => errors.push(error.code));
    expect(await worker.run()).toMatchObject({ done: 0, failed: 1 });
    expect(errors).toEqual(['ERR_TASK_TIMEOUT']);
  });

  it('stops a task cancelled while it runs, and releases running tasks on a forced stop', async () => {
    const { root, client, newWorker } = await setup({ leaseMs: 900 });
    await client.submit([{ task: 'forks', params: { n: 2 } }]);
    const worker = newWorker();
    worker.on('task.started', (task) => {
      void waitFor(() => existsSync(join(root, 'pid-2'))).then(() => client.cancelTask(task.key));
    });
    expect(await worker.run()).toMatchObject({ cancelled: 1, failed: 0 });

    await client.submit([{ task: 'forks', params: { n: 3 } }]);
    const second = newWorker();
    const running = second.run();
    await waitFor(() => existsSync(join(root, 'pid-3')));
    await second.stop({ force: true });
    expect(await running).toMatchObject({ released: 1 });
    const [task] = (await client.listTasks({ scan: 'default' })).tasks.filter((t) => t.params.n === 3);
    expect(task?.state).toBe('queued');
  });

  it('leaves a task it has no definition for to a worker that has one, charging no attempt', async () => {
    const { root, client, newWorker } = await setup();
    const bare = makeTempDir('bottle-bare-');
    cleanups.push(() => bare.remove());
    await client.submit(nasty.slice(0, 6).map((v) => ({ task: 'echo', params: { v }, maxAttempts: 1 })));
    const lacking = newWorker({ root: bare.path, slots: 2 });
    const warnings: string[] = [];
    lacking.on('worker.warning', (error) => warnings.push(error.message));
    const first = await lacking.run();
    expect(first).toMatchObject({ done: 0, failed: 0, cannotRun: ['echo'] });
    expect(first.released).toBeGreaterThan(0);
    expect(warnings.filter((w) => w.includes('cannot run task "echo" here'))).toHaveLength(1);

    const having = newWorker({ root, slots: 2 });
    expect(await having.run()).toMatchObject({ done: 6, failed: 0, cannotRun: [] });
    for (const task of (await client.listTasks({})).tasks) {
      expect(task.state).toBe('done');
      const outcomes = (await client.getTask(task.key)).attempts.map((a) => a.outcome);
      expect(outcomes.at(-1)).toBe('done');
      expect(outcomes.slice(0, -1).every((o) => o === 'released')).toBe(true);
    }
  });
});

/** Running or sleeping: a zombie waiting for init to reap it is dead. */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** The parent of a process, from /proc. */
function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
}

describe('command launchers', () => {
  it('a launcher killed -9 mid-task: the task fails as crashed (retryable), its group dies, the retry runs through a new launcher', async () => {
    const { root, client, newWorker } = await setup({ leaseMs: 900 });
    await client.submit([{ task: 'waits', params: { n: 5 } }]);
    const pidFile = join(root, 'pid-5');
    const worker = newWorker({ slots: 1 });
    const failures: string[] = [];
    worker.on('task.failed', (_task, error) => failures.push(`${error.code}: ${error.message}`));
    const programs: number[] = [];
    worker.on('task.started', (task) => {
      void waitFor(() => {
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
        return pid > 0 && !programs.includes(pid) ? pid : undefined;
      }).then((pid) => {
        programs.push(pid);
        // The first run's launcher dies; the retry is cancelled once it runs.
        if (programs.length === 1) process.kill(parentOf(pid), 'SIGKILL');
        else void client.cancelTask(task.key);
      });
    });
    expect(await worker.run()).toMatchObject({ failed: 1, cancelled: 1 });
    expect(failures).toEqual([
      expect.stringMatching(/^ERR_TASK_CRASHED: the command launcher stopped \(SIGKILL\)/),
    ]);
    expect(programs).toHaveLength(2);
    await waitFor(() => programs.every((pid) => !running(pid)) || undefined);
  });

  it('kill -9 of the worker: its launcher ends the programs still running, groups and all', async () => {
    const { root, client, server } = await setup();
    await client.submit([{ task: 'waits', params: { n: 6 } }]);
    const script = fileURLToPath(new URL('./_worker-process.ts', import.meta.url));
    const doomed = spawnChild(process.execPath, ['--import', jitiRegister, script, server.url, root, '1']);
    try {
      await doomed.waitForOutput(/started/);
      const pidFile = join(root, 'pid-6');
      const program = await waitFor(() =>
        existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined,
      );
      expect(running(program)).toBe(true);
      await doomed.kill9();
      await waitFor(() => !running(program) || undefined, { what: 'the program to end with its worker' });
    } finally {
      await doomed.kill9();
    }
  });
});

describe('heartbeats of a healthy command-task run', () => {
  it('call no lease lost while reports and heartbeats cross', async () => {
    const events: ServerEvent[] = [];
    // Heartbeats every 10 ms against a 30-s lease: nothing can expire, and most reports cross a heartbeat
    // that still names their lease (it was in flight, or sent while the report was).
    const { client, server, newWorker } = await setup({ heartbeatMs: 10, onEvent: (e) => events.push(e) });
    const n = 300;
    await client.submit(Array.from({ length: n }, (_, i) => ({ task: 'true', params: { n: i } })));
    let crossed = 0;
    class Counting extends BottleClient {
      override async heartbeat(request: Parameters<BottleClient['heartbeat']>[0]) {
        const answer = await super.heartbeat(request);
        crossed += answer.finished?.length ?? 0;
        return answer;
      }
    }
    const counting = new Counting({ server: server.url, retries: 0 });
    cleanups.push(() => counting.close());
    const summary = await newWorker({ slots: 4, client: counting }).run();
    // The race was run: heartbeats named leases whose report had landed, and were told `finished`.
    expect(crossed).toBeGreaterThan(0);
    expect(summary).toMatchObject({ done: n, failed: 0, lost: 0, cancelled: 0, unreported: 0 });
    expect(events.filter((e) => e.type === 'lease.lost')).toEqual([]);
    expect(await client.getScan('default')).toMatchObject({ counts: { done: n }, lostAttempts: 0 });
  });
});

describe('loadTaskFile', () => {
  it('refuses mistakes at load time, naming the file and the entry', () => {
    const temp = makeTempDir('bottle-taskfile-');
    cleanups.push(() => temp.remove());
    const bad = {
      'both.yaml': 'tasks:\n  t:\n    command: [a]\n    shell: b\n',
      'neither.yaml': 'tasks:\n  t:\n    timeout: 5\n',
      'unknown.yaml': 'tasks:\n  t:\n    command: [a]\n    comand: [b]\n',
      'brace.yaml': 'tasks:\n  t:\n    command: [a, "{x"]\n',
      'lone.yaml': 'tasks:\n  t:\n    command: [a, "x}"]\n',
      'timeout.yaml': 'tasks:\n  t:\n    command: [a]\n    timeout: soon\n',
      'syntax.yaml': 'tasks: [\n',
      'empty-argv.json': '{"tasks": {"t": {"command": []}}}',
    };
    for (const [name, text] of Object.entries(bad)) {
      writeFileSync(join(temp.path, name), text);
      let error: unknown;
      try {
        loadTaskFile(join(temp.path, name));
      } catch (e) {
        error = e;
      }
      expect(isBottleError(error, 'ERR_BAD_TASK_FILE'), name).toBe(true);
      expect((error as Error).message, name).toContain(name);
    }
  });
});

describe('task-file.schema.json', () => {
  it('describes the keys the loader accepts, and the examples follow it', () => {
    const schema = JSON.parse(readFileSync(new URL('../task-file.schema.json', import.meta.url), 'utf8'));
    expect(Object.keys(schema.$defs.task.properties).sort()).toEqual([...taskEntryKeys].sort());
    for (const example of ['python', 'shell', 'c']) {
      const file = fileURLToPath(new URL(`../../../examples/${example}/bottle.yaml`, import.meta.url));
      expect(loadTaskFile(file).tasks.size).toBeGreaterThan(0);
    }
  });
});
