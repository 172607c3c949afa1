/**
 * Each program loads a command's code only when that command runs: `bottle-worker` never loads the
 * server's packages (express, better-sqlite3, pg), `bottle` commands that only talk HTTP load neither
 * those nor SSH, and a server on SQLite never loads pg (an optional peer dependency). Each built
 * program runs as a real process that records every package it loads.
 */
import { type LoadRecorder, makeTempDir, recordLoads } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene } from './_e2e.js';

const serverPackages = ['express', 'better-sqlite3', 'pg', 'pino', 'prom-client'];

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

function recorder(): LoadRecorder {
  const dir = makeTempDir('bottle-loads-');
  scene.defer(() => dir.remove());
  return recordLoads(dir.path);
}

describe('programs load what their command needs, and no more', () => {
  it('bottle-worker runs a sweep without loading the server, SQLite, PostgreSQL or SSH', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.small']);
    const loads = recorder();
    const worker = scene.worker(server.url, ['-x', '2', '--quiet'], loads.env);
    expect(await worker.exited, worker.stderr).toBe(0);
    expect(worker.stdout).toMatch(/5 done, 0 failed/);
    const loaded = loads.packages();
    // The recorder sees what the worker does load: the check below cannot pass by seeing nothing.
    expect(loaded).toContain('got');
    for (const name of [...serverPackages, 'ssh2']) expect(loaded, `${name} was loaded`).not.toContain(name);
  });

  it('bottle ls and bottle --help load neither the server, SSH nor the task loader', async () => {
    scene = new Scene();
    const server = await scene.server(['-p', 'sweep.small']);
    const ls = recorder();
    const listed = await scene.bottle(['ls', '--server', server.url], ls.env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(ls.packages()).toContain('got');
    const help = recorder();
    expect((await scene.bottle(['--help'], help.env)).code).toBe(0);
    expect(help.packages()).toContain('yargs');
    for (const loaded of [ls.packages(), help.packages()]) {
      for (const name of [...serverPackages, 'ssh2', 'jiti']) expect(loaded).not.toContain(name);
    }
    expect(help.packages()).not.toContain('got');
  });

  it('bottle-server on a SQLite file does not load pg', async () => {
    scene = new Scene();
    const loads = recorder();
    const server = await scene.server([], { env: loads.env });
    await server.child.kill9();
    const loaded = loads.packages();
    expect(loaded).toContain('better-sqlite3');
    expect(loaded).toContain('express');
    expect(loaded).not.toContain('pg');
  });
});
