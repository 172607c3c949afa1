/**
 * Issue 6 end to end, with the built programs as real processes: a server started with --gather, three
 * workers each in its own root (no shared filesystem), `bottle gather` and `bottle results`, and a worker
 * killed -9 while its upload is in flight.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskInfo } from '@bottle/protocol';
import { waitFor } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { allTasks, attemptsOf, Scene } from './_e2e.js';

const fixture = fileURLToPath(new URL('./gather-fixture/outputs.mjs', import.meta.url));

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

/** A worker root of its own, with a copy of the task module. */
function ownRoot(scene: Scene, name: string): string {
  const root = join(scene.dir, name);
  mkdirSync(root);
  cpSync(fixture, join(root, 'outputs.mjs'));
  return root;
}

/** Every regular file under `dir` with its SHA-256, by relative path. */
function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) {
      out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  }
  return out;
}

/** RFC 4180 fields, for checking `--format csv`. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

/** What every results row must say about task n. */
function expectedRow(task: TaskInfo): Record<string, unknown> {
  const n = task.params.n as number;
  return {
    n,
    label: task.params.label,
    state: 'done',
    attempts: 1,
    host: task.host,
    square: n * n,
    'result.label': `t${n}`,
  };
}

describe('gathering outputs from workers without a shared filesystem', () => {
  it('three workers, 50 tasks: outputs byte-identical on the server, gather fetches once, results in every format', async () => {
    scene = new Scene();
    cpSync(fixture, join(scene.root, 'outputs.mjs'));
    const gatherDir = join(scene.dir, 'gathered');
    const server = await scene.server(['-p', 'outputs.scan', '--gather', gatherDir]);
    expect(server.child.stdout).toMatch(/50 new tasks/);
    const roots = ['w1', 'w2', 'w3'].map((name) => ownRoot(scene, name));
    const workers = roots.map((root) => scene.worker(server.url, ['-x', '2', '--root', root]));
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

    const tasks = await allTasks(server.client);
    expect(tasks).toHaveLength(50);
    expect(tasks.filter((task) => task.state !== 'done')).toEqual([]);
    // Each output on the server is byte for byte what the task wrote on the worker that ran it.
    expect(readdirSync(gatherDir).sort()).toEqual(tasks.map((task) => task.paramsHash).sort());
    let totalFiles = 0;
    for (const task of tasks) {
      const ranOn = roots.filter((root) => existsSync(join(root, 'out', task.paramsHash)));
      expect(ranOn, `task ${task.params.n} ran on exactly one worker`).toHaveLength(1);
      const local = digests(join(ranOn[0] as string, 'out', task.paramsHash));
      expect(Object.keys(local).sort()).toEqual(
        ['data.bin', 'params.json', 'result.json', 'status.json', 'sub/note.txt'].sort(),
      );
      expect(digests(join(gatherDir, task.paramsHash))).toEqual(local);
      totalFiles += Object.keys(local).length;
    }

    // bottle gather into a fresh folder, then again: the second run fetches nothing.
    const to = join(scene.dir, 'results');
    const first = await scene.bottle(['gather', server.url, '--to', to]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(
        `gathered 50 outputs into .*: fetched ${totalFiles} files \\(\\d+ bytes\\), 0 files up to date`,
      ),
    );
    expect(first.stderr).toMatch(/gather: \d+\/\d+ files/);
    for (const task of tasks) {
      expect(digests(join(to, task.paramsHash))).toEqual(digests(join(gatherDir, task.paramsHash)));
    }
    const again = await scene.bottle(['gather', '--server', server.url, '--to', to, '--scan', 'scan']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `gathered 50 outputs into .*: fetched 0 files \\(0 bytes\\), ${totalFiles} files up to date`,
      ),
    );

    // bottle results, from the server and from the gathered folder, in every format.
    const byN = new Map(tasks.map((task) => [task.params.n as number, task]));
    const checkRows = (rows: Record<string, unknown>[], what: string) => {
      expect(rows, what).toHaveLength(50);
      for (const row of rows) {
        const task = byN.get(row.n as number) as TaskInfo;
        expect(row, what).toMatchObject(expectedRow(task));
        expect(typeof row.duration, what).toBe('number');
      }
    };
    const results = (args: string[]) => scene.bottle(['results', ...args]);
    const json = await results(['--server', server.url, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    checkRows(JSON.parse(json.stdout), 'json from the server');
    const jsonl = await results(['--server', server.url, '--scan', 'scan', '--format', 'jsonl']);
    checkRows(
      jsonl.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      'jsonl',
    );
    const local = await results(['--from', to, '--format', 'json']);
    expect(local.code, local.stderr).toBe(0);
    checkRows(JSON.parse(local.stdout), 'json from the gathered folder');

    const csv = parseCsv((await results(['--server', server.url, '--format', 'csv'])).stdout);
    const header = csv[0] as string[];
    // Parameters come first, in their canonical (sorted) order.
    expect(header.slice(0, 6)).toEqual(['label', 'n', 'state', 'attempts', 'duration', 'host']);
    expect(header).toEqual(expect.arrayContaining(['square', 'result.label']));
    const csvRows = csv
      .slice(1)
      .map((fields) => Object.fromEntries(header.map((name, i) => [name, fields[i]])));
    expect(csvRows).toHaveLength(50);
    for (const row of csvRows) {
      const task = byN.get(Number(row.n)) as TaskInfo;
      expect(row).toMatchObject({
        label: task.params.label,
        state: 'done',
        attempts: '1',
        square: String((task.params.n as number) ** 2),
        'result.label': `t${task.params.n}`,
      });
    }

    const table = (await results(['--server', server.url])).stdout.trimEnd().split('\n');
    // From a server, each row ends with its task's key and paramsHash (its output folder).
    expect(table[0]).toMatch(
      /^label\s+n\s+state\s+attempts\s+duration\s+host\s+square\s+result\.label\s+key\s+paramsHash$/,
    );
    expect(table).toHaveLength(52);
    for (const task of tasks) {
      const n = task.params.n as number;
      const row = new RegExp(
        `^(a,"b"|plain)\\s+${n}\\s+done\\s+1\\s+[\\d.]+\\s+\\S+\\s+${n * n}\\s+t${n}\\s+${task.key}\\s+${task.paramsHash}$`,
      );
      expect(
        table.filter((line) => row.test(line)),
        `table row of task ${n}`,
      ).toHaveLength(1);
    }
  }, 90_000); // three worker processes and two gathers: slow on a loaded machine

  it('a worker killed -9 mid-upload: the task is handed out again and its output appears once, whole', async () => {
    scene = new Scene();
    cpSync(fixture, join(scene.root, 'outputs.mjs'));
    const gatherDir = join(scene.dir, 'gathered');
    const server = await scene.server(['-p', 'outputs.large', '--gather', gatherDir, '--lease', '1']);
    await waitFor(() => existsSync(gatherDir), { what: 'the gather dir' });
    // The moment the server starts receiving the upload, a `.incoming-*` directory appears.
    let watcher: ReturnType<typeof watch> | undefined;
    const uploading = new Promise<string>((resolve) => {
      watcher = watch(gatherDir, (_event, name) => {
        if (name?.startsWith('.incoming-')) resolve(name);
      });
    });
    scene.defer(() => watcher?.close());
    const first = scene.worker(server.url, ['--root', ownRoot(scene, 'w1')]);
    await uploading;
    expect(await first.kill9()).toBe('SIGKILL');
    const [task] = await allTasks(server.client);
    expect(task?.state).toBe('running');
    // The cut upload is thrown away: nothing half-written stays, nothing was committed.
    await waitFor(() => readdirSync(gatherDir).length === 0, { what: 'the half upload to be removed' });

    const secondRoot = ownRoot(scene, 'w2');
    const second = scene.worker(server.url, ['--root', secondRoot, '--retry-if-empty']);
    await waitFor(async () => (await allTasks(server.client))[0]?.state === 'done', {
      what: 'the second worker to run and upload the task',
    });
    expect(await second.stop()).toBe(130);
    const [done] = await allTasks(server.client);
    const hash = done?.paramsHash as string;
    expect(readdirSync(gatherDir)).toEqual([hash]);
    const gathered = digests(join(gatherDir, hash));
    expect(gathered).toEqual(digests(join(secondRoot, 'out', hash)));
    expect(statSync(join(gatherDir, hash, 'big.bin')).size).toBe(done?.params.bytes);
    const attempts = (await attemptsOf(server.client, [done as TaskInfo])).get(done?.key as string);
    expect(attempts?.map((a) => a.outcome)).toEqual(['lost', 'done']);
  });
});
