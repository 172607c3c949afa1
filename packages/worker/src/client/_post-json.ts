/**
 * A JSON POST on node's own `http.request`, for the verbs every task passes through (submit, claim,
 * report): got's layers of hooks, options merging and promise turns cost about half a millisecond
 * per request on loopback, which is most of an idle worker's dispatch time. Errors have the shape
 * of got's (`HTTPError` with the response, `TimeoutError`, a network error with its code), so that
 * one mapping (`_http-errors.ts`) serves both, and it retries what got retries: network errors and
 * 500, 502, 503, 504.
 */
import { type Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PostTarget {
  /** The whole URL. */
  url: string;
  agents: { http: HttpAgent; https: HttpsAgent };
  headers: Record<string, string>;
}

export interface PostOptions {
  /** The whole request's deadline, in ms. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  retries: number;
  /** The wait before retry `attempt` (1, 2, ...). */
  retryDelay: (attempt: number) => number;
}

const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** An answer other than 2xx, named and shaped as got's. */
class HTTPError extends Error {
  override name = 'HTTPError';
  constructor(readonly response: { statusCode: number; body: string }) {
    super(`Response code ${response.statusCode}`);
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** The body of a 2xx answer to a POST of `json` (already a string), retried as got retries. */
export async function postJson(target: PostTarget, json: string, options: PostOptions): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(target, json, options);
    } catch (error) {
      if (options.signal?.aborted || attempt >= options.retries || !retryable(error)) throw error;
      await sleep(options.retryDelay(attempt + 1), undefined, { signal: options.signal });
    }
  }
}

function retryable(error: unknown): boolean {
  if (error instanceof HTTPError) return RETRY_STATUSES.has(error.response.statusCode);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRY_CODES.has(code);
}

function postOnce(target: PostTarget, json: string, options: PostOptions): Promise<string> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const https = target.url.startsWith('https:');
    const send = https ? httpsRequest : httpRequest;
    let settled = false;
    const settle = (error: unknown, body?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(body as string);
      else reject(error);
    };
    const req = send(
      target.url,
      {
        method: 'POST',
        agent: https ? target.agents.https : target.agents.http,
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
        },
      },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('error', (error) => settle(error));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) settle(undefined, body);
          else settle(new HTTPError({ statusCode: status, body }));
        });
      },
    );
    const onAbort = () => {
      req.destroy();
      settle(signal?.reason);
    };
    const timer = setTimeout(() => {
      req.destroy();
      settle(new TimeoutError(`Timeout awaiting 'request' for ${options.timeoutMs}ms`));
    }, options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => settle(error));
    req.end(json);
  });
}
