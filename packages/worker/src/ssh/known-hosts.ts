import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One key line of a known_hosts file. */
export interface KnownHostsEntry {
  /** 1-based line number, for messages like ssh's "Offending key in known_hosts:12". */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host field as written: `a,b,[c]:2222`, or a hashed `|1|salt|hmac`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** What known_hosts says about the key a host presented. */
export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostsEntry }
  | { status: 'revoked'; entry: KnownHostsEntry }
  | { status: 'changed'; entry: KnownHostsEntry }
  /** No entry for this key type; `otherTypes` lists the key types known for the host, if any. */
  | { status: 'unknown'; otherTypes: string[] };

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostsEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name !== '@revoked' && name !== '@cert-authority') return;
      marker = name === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) return;
    entries.push({ line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** Whether an entry's host field names `hostKeyName` (`host` or `[host]:port`, lower case). */
export function hostFieldMatches(hosts: string, hostKeyName: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostKeyName).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const pattern of hosts.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, hostKeyName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** ssh's host patterns: `*` and `?` wildcards, everything else literal. */
function globMatch(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(text);
}

/** The verdict on `key` (an SSH wire-format key blob) for `hostKeyName`, like OpenSSH's check_host_key. */
export function checkHostKey(entries: KnownHostsEntry[], hostKeyName: string, key: Buffer): HostKeyVerdict {
  const keyType = keyTypeOf(key);
  // A revoked key is refused whatever host it is presented for.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, hostKeyName));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  const changed = forHost.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** The key types known_hosts holds for a host, so that those are negotiated first (as ssh does). */
export function knownKeyTypes(entries: KnownHostsEntry[], hostKeyName: string): string[] {
  return [
    ...new Set(
      entries
        .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, hostKeyName))
        .map((e) => e.keyType),
    ),
  ];
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of sha256(key blob). */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH wire-format key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return length > 0 && length < 64 && key.length >= 4 + length
    ? key.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}

export function readKnownHosts(path: string): KnownHostsEntry[] {
  try {
    return parseKnownHosts(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Appends `hostKeyName keytype base64` (plain, not hashed), creating ~/.ssh (0700) if needed. */
export function appendKnownHost(path: string, hostKeyName: string, key: Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = readFileSync(path, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {}
  appendFileSync(path, `${prefix}${hostKeyName} ${keyTypeOf(key)} ${key.toString('base64')}\n`, {
    mode: 0o600,
  });
}
