import { spawnChild } from '@bottle/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, Scene } from './_e2e.js';

let scene: Scene;
afterEach(async () => {
  await scene?.close();
});

const ESC = String.fromCharCode(27);
/** A colour or style escape sequence (SGR). */
const sgr = new RegExp(`${ESC}\\[\\d+m`, 'g');

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs bottle-worker in a pseudo-terminal (util-linux `script`); answers all it wrote. */
async function workerOnTty(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | string; out: string }> {
  const command = [process.execPath, binPath('bottle-worker'), ...args].map(shellQuote).join(' ');
  const child = spawnChild('script', ['-qfec', command, '/dev/null'], {
    cwd: scene.root,
    env: { BOTTLE_SERVER: undefined, BOTTLE_TOKEN: undefined, DEBUG: undefined, ...env },
  });
  scene.defer(() => child.kill9());
  const code = await child.exited;
  return { code, out: child.stdout };
}

const tasks = (count: number, ms: number) =>
  Array.from({ length: count }, (_, n) => ({ task: 'sweep.Task', params: { n, ms } }));

describe('bottle-worker progress', () => {
  it('on a terminal: one line redrawn in place, with what is left of the scan and an ETA', async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit(tasks(24, 200), { scan: 'tty' });
    const { code, out } = await workerOnTty([server.url], { TERM: 'xterm' });
    expect(code).toBe(0);
    expect(out).toContain('\r\x1b[2K');
    const lines = out.split('\r\x1b[2K').map((line) => line.replace(sgr, ''));
    expect(lines.some((line) => /\d+ done, 0 failed, [01] running/.test(line))).toBe(true);
    expect(lines.some((line) => /\d+ left in its scan \| ETA \d+ (s|min)/.test(line))).toBe(true);
    // Colours on a terminal, unless NO_COLOR.
    expect(out).toContain('\x1b[32m');
    expect(out).toMatch(/24 done, 0 failed in/);
  });

  it('NO_COLOR drops the colours; --quiet drops the line', async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit(tasks(12, 200), { scan: 'plain' });
    const plain = await workerOnTty([server.url], { NO_COLOR: '1' });
    expect(plain.out).toContain('\r\x1b[2K');
    expect(plain.out.match(sgr)).toBeNull();
    await server.client.submit(tasks(12, 201), { scan: 'quiet' });
    const quiet = await workerOnTty([server.url, '--quiet'], {});
    expect(quiet.code).toBe(0);
    expect(quiet.out).not.toContain('\x1b[2K');
    expect(quiet.out).toMatch(/12 done, 0 failed in/);
  });

  it('through a pipe: a plain line every 10 s, no control characters', async () => {
    scene = new Scene();
    const server = await scene.server();
    await server.client.submit(tasks(12, 1000), { scan: 'pipe' });
    const worker = scene.worker(server.url);
    expect(await worker.exited).toBe(0);
    expect(worker.stderr).toMatch(
      /^bottle-worker: \d+ done, 0 failed, [01] running \| .* over the last minute/m,
    );
    expect(worker.stderr).not.toContain('\r');
    expect(worker.stderr).not.toContain(ESC);
    expect(worker.stdout).toMatch(/12 done, 0 failed in/);
  });
});
