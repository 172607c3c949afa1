import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { isBottleError } from '@bottle/protocol';
import { freePort, makeTempDir, type SshdFixture, startSshd, waitFor } from '@bottle/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHostsFile, type RemoteHost } from '../src/ssh/hosts-file.js';
import {
  type LaunchOptions,
  launchRemoteWorkers,
  type RemoteLaunch,
  remoteCommandLine,
} from '../src/ssh/launch.js';

let sshd: SshdFixture;
let home: string;

beforeAll(async () => {
  sshd = await startSshd();
  home = makeTempDir('bottle-home-').path;
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
});

afterAll(async () => {
  await sshd?.stop();
});

/** Remote processes whose command line starts with `marker` (sshd runs them on this machine). */
const remoteProcesses = (marker: string) => {
  try {
    return execFileSync('pgrep', ['-f', `^${marker}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
};

function entry(extra: Partial<RemoteHost>): RemoteHost {
  return { host: '127.0.0.1', port: sshd.port, identity: sshd.clientKeyPath, ...extra };
}

function collect(extra: Partial<LaunchOptions> = {}) {
  const lines: string[] = [];
  const errors: Array<{ label: string; code: string; message: string }> = [];
  const options: LaunchOptions = {
    homeDir: home,
    server: 'http://127.0.0.1:1988',
    onLine: (label, line) => lines.push(`${label}| ${line}`),
    onHostError: (label, error) => errors.push({ label, code: error.code, message: error.message }),
    stopGraceMs: 20_000,
    ...extra,
  };
  return { lines, errors, options };
}

describe('launchRemoteWorkers', () => {
  it('runs a command per entry, prefixes each output line with its host, and stop() ends both', async () => {
    const { lines, errors, options } = collect();
    const command = `sh -c 'echo hello from $HOST_LABEL in $(pwd); sleep 301'`;
    let launch: RemoteLaunch | undefined;
    try {
      launch = await launchRemoteWorkers(
        [
          entry({ label: 'one', command, env: { HOST_LABEL: 'alpha' }, cwd: sshd.dir }),
          entry({ label: 'two', command, env: { HOST_LABEL: 'beta' }, cwd: '/' }),
        ],
        options,
      );
      await waitFor(() => lines.length >= 2, { what: 'both hosts to print' });
      expect(lines.sort()).toEqual([`one| hello from alpha in ${sshd.dir}`, 'two| hello from beta in /']);
      expect(errors).toEqual([]);
      expect(launch.hosts.map((h) => h.state)).toEqual(['running', 'running']);
      expect(remoteProcesses('sleep 301')).toHaveLength(2);
    } finally {
      await launch?.stop();
    }
    const hosts = await launch.done;
    expect(hosts.map((h) => h.state)).toEqual(['exited', 'exited']);
    await waitFor(() => remoteProcesses('sleep 301').length === 0, { what: 'remote commands to end' });
  });

  it('reports an unreachable host and goes on with the others', async () => {
    const { lines, errors, options } = collect();
    const closed = await freePort();
    const launch = await launchRemoteWorkers(
      [
        entry({ label: 'down', port: closed }),
        entry({ label: 'up', command: `sh -c 'echo still here; sleep 302'` }),
      ],
      options,
    );
    try {
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ label: 'down', code: 'ERR_SSH_CONNECT' });
      expect(errors[0]?.message).toContain(String(closed));
      expect(launch.hosts[0]?.state).toBe('unreachable');
      await waitFor(() => lines.includes('up| still here'), { what: 'the reachable host to print' });
    } finally {
      await launch.stop();
    }
    await launch.done;
    await waitFor(() => remoteProcesses('sleep 302').length === 0, { what: 'remote commands to end' });
  });

  // OpenSSH refuses signal requests for sessions it does not privilege-separate, which includes every
  // root login ("session signalling requires privilege separation"); as a normal user (CI runners) it works.
  it.skipIf(process.getuid?.() === 0)(
    'without a pty, stop() sends SIGINT through the channel (signal request)',
    async () => {
      const { options } = collect({ pty: false });
      const launch = await launchRemoteWorkers(
        [entry({ label: 'sig', command: `sh -c 'exec sleep 303'` })],
        options,
      );
      try {
        await waitFor(() => remoteProcesses('sleep 303').length === 1, { what: 'the remote sleep to start' });
        await launch.stop();
        const [host] = await launch.done;
        expect(host?.exit).toEqual({ code: null, signal: 'INT' });
      } finally {
        // Without a pty nothing else ends the remote command: do not leave it behind if the signal failed.
        for (const pid of remoteProcesses('sleep 303')) process.kill(Number(pid), 'SIGKILL');
      }
    },
  );

  it('points a host without a server URL at a reverse tunnel to the local server', async () => {
    const web: Server = createServer((req, res) => res.end(`served ${req.url}`));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const webPort = (web.address() as { port: number }).port;
    const { lines, options } = collect({ server: undefined, reverseTunnel: { localPort: webPort } });
    const fetcher = `node -e 'fetch(process.argv[1] + "/v1/health").then((r) => r.text()).then(console.log)'`;
    const launch = await launchRemoteWorkers([entry({ label: 'rev', command: fetcher })], options);
    try {
      await launch.done;
      expect(lines).toContain('rev| served /v1/health');
      expect(launch.hosts[0]?.command).toMatch(/http:\/\/127\.0\.0\.1:\d+ -x 1$/);
    } finally {
      await launch.stop();
      await new Promise<void>((resolve) => {
        web.close(() => resolve());
        web.closeAllConnections();
      });
    }
  });
});

describe('remoteCommandLine', () => {
  it('quotes the working directory, environment and server for the remote shell', () => {
    expect(
      remoteCommandLine(
        {
          host: 'h',
          cwd: '/data/my runs',
          env: { A: "it's", B: 'plain' },
          slots: 4,
          command: 'bottle-worker',
        },
        'http://127.0.0.1:1988',
      ),
    ).toBe(`cd '/data/my runs' && exec env A='it'\\''s' B=plain bottle-worker http://127.0.0.1:1988 -x 4`);
    expect(remoteCommandLine({ host: 'h' }, 'http://s:1988')).toBe(
      'exec npx bottle-worker http://s:1988 -x 1',
    );
  });
});

describe('parseHostsFile', () => {
  it('accepts a list of targets and objects, and applies defaults', () => {
    const file = parseHostsFile(
      JSON.stringify({
        server: 'http://10.0.0.1:1988',
        defaults: { user: 'me', slots: 2, cwd: '~/sweep' },
        hosts: ['gpu1', { host: 'gpu2', slots: 8, env: { CUDA_VISIBLE_DEVICES: '0' } }],
      }),
    );
    expect(file).toEqual({
      server: 'http://10.0.0.1:1988',
      hosts: [
        { host: 'gpu1', user: 'me', slots: 2, cwd: '~/sweep' },
        { host: 'gpu2', user: 'me', slots: 8, cwd: '~/sweep', env: { CUDA_VISIBLE_DEVICES: '0' } },
      ],
    });
    expect(parseHostsFile(['a@b:2222'])).toEqual({ hosts: [{ host: 'a@b:2222' }] });
  });

  it('names the bad entry and field', () => {
    const bad = (input: unknown) => {
      try {
        parseHostsFile(typeof input === 'string' ? input : JSON.stringify(input), 'hosts.json');
      } catch (error) {
        expect(isBottleError(error, 'ERR_USAGE')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(bad({ hosts: ['ok', { host: 'gpu3', slots: 0 }] })).toMatch(
      /^hosts\.json: hosts\[1\] \(gpu3\): slots: /,
    );
    expect(bad([{ host: 'x', env: { 'BAD-NAME': '1' } }])).toMatch(/hosts\[0\] \(x\): env\.BAD-NAME/);
    expect(bad([{ host: 'x', colour: 'red' }])).toMatch(/hosts\[0\] \(x\).*colour/);
    expect(bad('{ not json')).toMatch(/^hosts\.json is not valid JSON/);
    expect(bad({ hosts: [] })).toMatch(/hosts/);
  });
});
