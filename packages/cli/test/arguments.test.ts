import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodes, main, renderCliReference } from '@bottle/cli';
import { makeTempDir } from '@bottle/test-utils';
import { describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../src/_options.js';
import { recordingContext } from './_context.js';

describe('command line parsing', () => {
  it('prints help for each program and exits 0', async () => {
    for (const program of ['bottle', 'bottle-server', 'bottle-worker'] as const) {
      const run = recordingContext();
      expect(await main(program, ['--help'], run.context)).toBe(exitCodes.ok);
      expect(run.stdout).toContain(program);
    }
  });

  it('prints the version', async () => {
    const run = recordingContext();
    expect(await main('bottle', ['--version'], run.context)).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses an unknown option with exit code 2 and a hint', async () => {
    const run = recordingContext();
    expect(await main('bottle-worker', ['--no-such-flag'], run.context)).toBe(exitCodes.usage);
    expect(run.stderr).toMatch(/Unknown argument/);
    expect(run.stderr).toContain('--help');
  });

  it('refuses a bottle call without a command', async () => {
    const run = recordingContext();
    expect(await main('bottle', [], run.context)).toBe(exitCodes.usage);
  });

  it('refuses --post without a scan, and a bad -x', async () => {
    const post = recordingContext();
    expect(await main('bottle-worker', ['http://127.0.0.1:9', '--post'], post.context)).toBe(exitCodes.usage);
    expect(post.stderr).toMatch(/--post needs -p/);
    const slots = recordingContext();
    expect(await main('bottle-worker', ['http://127.0.0.1:9', '-x', '0'], slots.context)).toBe(
      exitCodes.usage,
    );
  });

  it("accepts the original's --retry_if_empty spelling, and BOTTLE_SERVER for the worker", async () => {
    const run = recordingContext({ env: { BOTTLE_SERVER: 'http://127.0.0.1:9' } });
    // -x 0 stops it after parsing: the alias itself was accepted (strict mode refuses unknown flags).
    expect(await main('bottle-worker', ['--retry_if_empty', '-x', '0'], run.context)).toBe(exitCodes.usage);
    expect(run.stderr).not.toMatch(/Unknown argument/);
    expect(run.stderr).toMatch(/-x must be/);
    const env = recordingContext({ env: { BOTTLE_SERVER: 'http://127.0.0.1:9' } });
    expect(await main('bottle-worker', [], env.context)).toBe(exitCodes.failure);
    expect(env.stderr).toContain('127.0.0.1:9');
  });

  it('reports an unreachable server as a failure (exit 1) naming the URL', async () => {
    const run = recordingContext();
    // Port 9 (discard) is closed on loopback here: the connection is refused at once.
    const code = await main('bottle', ['status', '--server', 'http://127.0.0.1:9'], run.context);
    expect(code).toBe(exitCodes.failure);
    expect(run.stderr).toContain('127.0.0.1:9');
    expect(run.stderr).toMatch(/ERR_SERVER_UNREACHABLE/);
  });

  it('takes the server from BOTTLE_SERVER when --server is absent', async () => {
    const run = recordingContext({ env: { BOTTLE_SERVER: 'http://127.0.0.1:9' } });
    expect(await main('bottle', ['ls'], run.context)).toBe(exitCodes.failure);
    expect(run.stderr).toContain('127.0.0.1:9');
  });
});

describe('bottle launch arguments', () => {
  it('refuses a missing or malformed hosts file as a usage error (exit 2) naming the bad entry', async () => {
    const temp = makeTempDir();
    try {
      const missing = recordingContext({ cwd: temp.path });
      expect(await main('bottle', ['launch', 'nope.json'], missing.context)).toBe(exitCodes.usage);
      expect(missing.stderr).toMatch(/cannot read nope\.json/);

      writeFileSync(
        join(temp.path, 'hosts.json'),
        JSON.stringify({ hosts: ['ok', { host: 'gpu3', slots: 0 }] }),
      );
      const bad = recordingContext({ cwd: temp.path });
      expect(await main('bottle', ['launch', 'hosts.json'], bad.context)).toBe(exitCodes.usage);
      expect(bad.stderr).toMatch(/hosts\.json: hosts\[1\] \(gpu3\): slots/);

      writeFileSync(join(temp.path, 'broken.json'), '{ not json');
      const broken = recordingContext({ cwd: temp.path });
      expect(await main('bottle', ['launch', 'broken.json'], broken.context)).toBe(exitCodes.usage);
      expect(broken.stderr).toMatch(/broken\.json is not valid JSON/);
    } finally {
      temp.remove();
    }
  });

  it('documents the hosts file in its help', async () => {
    const run = recordingContext();
    expect(await main('bottle', ['launch', '--help'], run.context)).toBe(0);
    expect(run.stdout).toMatch(/hosts\.json is a list of entries/);
    expect(run.stdout).toContain('docs/ssh.md');
  });
});

describe('server URLs', () => {
  it('fills in the scheme and the default port as the original did', () => {
    expect(normalizeServerUrl('host')).toBe('http://host:1988');
    expect(normalizeServerUrl('host:2000')).toBe('http://host:2000');
    expect(normalizeServerUrl('http://host:1988')).toBe('http://host:1988');
    expect(normalizeServerUrl('https://bottle.example/prefix')).toBe('https://bottle.example/prefix');
  });

  it('refuses what is not an http URL', () => {
    expect(() => normalizeServerUrl('ftp://host')).toThrow(/only http/);
    expect(() => normalizeServerUrl('http://')).toThrow(/not a server URL/);
  });
});

describe('docs/cli.md', () => {
  it('is the reference generated from the yargs definitions (run pnpm docs:cli after changing a flag)', async () => {
    const checkedIn = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    expect(checkedIn).toBe(await renderCliReference());
  });
});
