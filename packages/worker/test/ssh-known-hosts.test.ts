import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSshKey, makeTempDir } from '@bottle/test-utils';
import { describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  parseKnownHosts,
} from '../src/ssh/known-hosts.js';
import { parseTarget, resolveTarget } from '../src/ssh/target.js';

const dir = makeTempDir('bottle-kh-').path;
const keyA = generateSshKey(join(dir, 'a'));
const keyB = generateSshKey(join(dir, 'b'));
const blob = (pub: string) => Buffer.from(pub.split(' ')[1] as string, 'base64');
const field = (pub: string) => pub.split(' ').slice(0, 2).join(' ');

describe('known_hosts matching', () => {
  it('matches plain names, comma lists, [host]:port, wildcards and negations', () => {
    expect(hostFieldMatches('gpu1,10.0.0.5', 'gpu1')).toBe(true);
    expect(hostFieldMatches('gpu1,10.0.0.5', '10.0.0.5')).toBe(true);
    expect(hostFieldMatches('gpu1', 'gpu2')).toBe(false);
    expect(hostFieldMatches('[gpu1]:2222', '[gpu1]:2222')).toBe(true);
    expect(hostFieldMatches('[gpu1]:2222', 'gpu1')).toBe(false);
    expect(hostFieldMatches('GPU1', 'gpu1')).toBe(true);
    expect(hostFieldMatches('*.lab.org,!evil.lab.org', 'node7.lab.org')).toBe(true);
    expect(hostFieldMatches('*.lab.org,!evil.lab.org', 'evil.lab.org')).toBe(false);
    expect(hostFieldMatches('node?', 'node7')).toBe(true);
    expect(hostFieldMatches('node.1', 'nodex1')).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2222 ${field(keyA)}\ngpu1 ${field(keyB)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(entries.every((e) => e.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(entries, '[127.0.0.1]:2222', blob(keyA)).status).toBe('known');
    expect(checkHostKey(entries, 'gpu1', blob(keyB)).status).toBe('known');
    expect(checkHostKey(entries, 'gpu2', blob(keyB)).status).toBe('unknown');
    const salt = Buffer.from('salt');
    const hash = createHmac('sha1', salt).update('gpu9').digest('base64');
    expect(hostFieldMatches(`|1|${salt.toString('base64')}|${hash}`, 'gpu9')).toBe(true);
  });

  it('tells known, changed, unknown and revoked keys apart; ignores @cert-authority', () => {
    const text = [
      '# comment',
      `@cert-authority *.lab.org ${field(keyB)}`,
      `gpu1 ${field(keyA)}`,
      `gpu2 ${field(keyA)}`,
      `@revoked * ${field(keyB)}`,
      `gpu3 ssh-rsa ${blob(keyA).toString('base64')}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => e.marker)).toEqual([
      'cert-authority',
      undefined,
      undefined,
      'revoked',
      undefined,
    ]);
    expect(checkHostKey(entries, 'gpu1', blob(keyA))).toMatchObject({ status: 'known', entry: { line: 3 } });
    expect(checkHostKey(entries, 'x.lab.org', blob(keyA)).status).toBe('unknown');
    expect(checkHostKey(entries, 'gpu2', blob(keyB))).toMatchObject({
      status: 'revoked',
      entry: { line: 5 },
    });
    const other = generateSshKey(join(dir, 'c'));
    expect(checkHostKey(entries, 'gpu2', blob(other))).toMatchObject({
      status: 'changed',
      entry: { line: 4 },
    });
    // gpu3 only has an entry of another key type: unknown, not changed (as in ssh).
    expect(checkHostKey(entries, 'gpu3', blob(other))).toEqual({
      status: 'unknown',
      otherTypes: ['ssh-rsa'],
    });
  });

  it('prints fingerprints as ssh-keygen -l does and appends entries like ssh', () => {
    const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'a.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1];
    expect(fingerprint(blob(keyA))).toBe(printed);
    expect(keyTypeOf(blob(keyA))).toBe('ssh-ed25519');
    const file = join(dir, 'new', '.ssh', 'known_hosts');
    appendKnownHost(file, '[h]:2222', blob(keyA));
    appendKnownHost(file, 'h', blob(keyB));
    expect(readFileSync(file, 'utf8')).toBe(`[h]:2222 ${field(keyA)}\nh ${field(keyB)}\n`);
    const verdict = execFileSync('ssh-keygen', ['-F', '[h]:2222', '-f', file], { encoding: 'utf8' });
    expect(verdict).toContain(field(keyA));
  });
});

describe('SSH targets', () => {
  it('parses host, user@host and user@host:port', () => {
    expect(parseTarget('gpu1')).toEqual({ host: 'gpu1' });
    expect(parseTarget('me@gpu1')).toEqual({ user: 'me', host: 'gpu1' });
    expect(parseTarget('me@gpu1:2222')).toEqual({ user: 'me', host: 'gpu1', port: 2222 });
    expect(parseTarget('me@[::1]:2222')).toEqual({ user: 'me', host: '::1', port: 2222 });
    expect(parseTarget('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(() => parseTarget('me@')).toThrow(/Bad SSH target/);
    expect(() => parseTarget('h:99999')).toThrow(/Bad port/);
  });

  it('applies an ~/.ssh/config alias: HostName, Port, User, IdentityFile with ~ and %-tokens', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(
      join(home, '.ssh', 'config'),
      [
        'Host lab',
        '  HostName lab.example.org',
        '  Port 2200',
        '  User alice',
        '  IdentityFile ~/.ssh/lab_%r',
        'Host *',
        '  IdentityFile ~/.ssh/fallback',
        '',
      ].join('\n'),
    );
    const resolved = resolveTarget({
      target: 'lab',
      homeDir: home,
      agent: '/tmp/agent.sock',
      identity: '/keys/explicit',
    });
    expect(resolved).toMatchObject({
      host: 'lab.example.org',
      port: 2200,
      user: 'alice',
      hostKeyName: '[lab.example.org]:2200',
      identityFiles: ['/keys/explicit', join(home, '.ssh/lab_alice'), join(home, '.ssh/fallback')],
      agent: '/tmp/agent.sock',
      knownHostsPath: join(home, '.ssh', 'known_hosts'),
    });
    // The target's user and port win over the config's; port 22 looks up the bare name.
    expect(resolveTarget({ target: 'bob@lab:22', homeDir: home })).toMatchObject({
      user: 'bob',
      port: 22,
      hostKeyName: 'lab.example.org',
    });
  });
});
