/**
 * Two `-t` workers on one machine: the second finds the tunnel port taken. When the port already
 * forwards to the same server (the first worker's tunnel, or an `ssh -L`), it is used as is; the
 * server's `/healthz` answers, fetched through that port and through this worker's own SSH
 * connection, carry the same `instance` exactly then.
 */
import { request } from 'node:http';
import type { Client } from 'ssh2';

const PROBE_TIMEOUT_MS = 3_000;

/** The `instance` of the server behind `http://127.0.0.1:port`, if a bottle server answers there. */
export function instanceViaPort(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', timeout: PROBE_TIMEOUT_MS, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          // Closed from this side too: a peer that only half-closes would otherwise keep it open.
          req.destroy();
          resolve(res.statusCode === 200 ? instanceOf(Buffer.concat(chunks)) : undefined);
        });
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      req.destroy();
      resolve(undefined);
    });
    req.end();
  });
}

/** The same, asked through `client` to `host:port` as seen from the SSH host. */
export function instanceViaSsh(client: Client, host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      resolve(value);
    };
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
        if (error) return done(undefined);
        const chunks: Buffer[] = [];
        channel.on('data', (chunk: Buffer) => chunks.push(chunk));
        channel.on('error', () => done(undefined));
        channel.on('close', () => {
          const reply = Buffer.concat(chunks).toString('utf8');
          const [head = '', body = ''] = reply.split('\r\n\r\n');
          done(/^HTTP\/1\.\d 200 /.test(head) ? instanceOf(Buffer.from(body)) : undefined);
        });
        channel.end(`GET /healthz HTTP/1.0\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
      });
    } catch {
      done(undefined);
    }
  });
}

function instanceOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { ok?: unknown; instance?: unknown };
    return parsed.ok === true && typeof parsed.instance === 'string' ? parsed.instance : undefined;
  } catch {
    return undefined;
  }
}
