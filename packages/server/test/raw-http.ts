/** Requests with exact bytes, headers and paths (fetch would normalise them), for hostile-input tests. */
import { request } from 'node:http';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body; undefined when it is not JSON. */
  json: unknown;
}

export function raw(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        // Sent as is: `/v1/tasks/%zz` must reach the server malformed.
        path: `${url.pathname.replace(/\/$/, '')}${path}`,
        // Framed explicitly: Node sends a GET, DELETE or OPTIONS body unframed otherwise.
        headers:
          options.body === undefined
            ? options.headers
            : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The `{ error: { code } }` of a reply, or undefined. */
export function codeOf(reply: RawReply): string | undefined {
  return (reply.json as { error?: { code?: string } } | undefined)?.error?.code;
}
