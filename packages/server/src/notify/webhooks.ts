/**
 * Webhooks (`--notify URL`): a JSON event POSTed to each URL when a scan ends and, when asked, when a
 * task fails for good. Deliveries run beside the queue: an event only schedules them, a slow or dead
 * receiver never delays a claim or a report. Each delivery is retried with a doubling delay, then
 * dropped with a warning; deliveries still pending when the server closes are dropped too (a webhook
 * is a notice, not a record: the store keeps the truth).
 */
import { createHmac } from 'node:crypto';
import { BottleError, type BottleLogger } from '@bottle/protocol';
import type { ServerEvent, ServerEventListener } from '../events/types.js';
import type { Clock } from '../store/clock.js';
import type { Store } from '../store/store.js';
import { type NotifyEvent, scanEndedEvent, taskFailedEvent } from './payload.js';

/** Options of the webhooks (`notify` of the router). */
export interface NotifyOptions {
  /** Where each event is POSTed (http:// or https://). */
  urls: readonly string[];
  /**
   * The HMAC-SHA256 key: each delivery then carries `X-Bottle-Signature-256: sha256=<hex>` of its
   * exact body, so that the receiver can tell it came from this server.
   */
  secret?: string | undefined;
  /** Also POST `task.failed` for each task that fails for good (default: only `scan.ended`). */
  taskFailures?: boolean;
  /** Tries of one delivery before it is dropped (default 5). */
  attempts?: number;
  /** Delay before the first retry, doubling with each (default 1000 ms). */
  retryDelayMs?: number;
  /** Longest one try may take (default 10 s). */
  timeoutMs?: number;
}

export const notifyDefaults = {
  taskFailures: false,
  attempts: 5,
  retryDelayMs: 1_000,
  timeoutMs: 10_000,
} satisfies Partial<NotifyOptions>;

/** Deliveries in flight or waiting for a retry, past which new ones are dropped with a warning. */
const MAX_PENDING = 1_000;

export interface Webhooks {
  /** Takes the server's events; schedules deliveries and returns at once. */
  readonly onEvent: ServerEventListener;
  /** Deliveries in flight or waiting for a retry. */
  readonly pending: number;
  /** Stops: retries are cancelled, tries in flight aborted. */
  close(): void;
}

/** Checks the options (a TypeError names the bad one; ERR_USAGE a bad URL) and fills in the defaults. */
export function resolveNotifyOptions(options: NotifyOptions, who: string): Required<NotifyOptions> {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.urls)) {
    throw new TypeError(`${who}: option 'notify' must be an object with 'urls'`);
  }
  for (const url of options.urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {}
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      // Typed by a person (--notify) more often than by a program: a usage error, not a TypeError.
      throw new BottleError('ERR_USAGE', `notify: '${url}' is not an http:// or https:// URL`);
    }
  }
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret === '')) {
    throw new TypeError(`${who}: option 'notify.secret' must be a non-empty string when set`);
  }
  const merged = { ...notifyDefaults, secret: undefined, ...options } as Required<NotifyOptions>;
  for (const key of ['attempts', 'retryDelayMs', 'timeoutMs'] as const) {
    if (!Number.isInteger(merged[key]) || merged[key] < 1) {
      throw new TypeError(`${who}: option 'notify.${key}' must be a positive integer`);
    }
  }
  return merged;
}

/** The signature header's value for `body` under `secret`. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createWebhooks(
  options: Required<NotifyOptions>,
  parts: { store: Store; clock: Clock; logger: BottleLogger; version: string },
): Webhooks {
  const { store, clock, logger, version } = parts;
  const inFlight = new Set<AbortController>();
  const retries = new Set<() => void>();
  let closed = false;
  const pending = () => inFlight.size + retries.size;

  const deliver = (url: string, event: NotifyEvent, body: string, attempt: number) => {
    if (closed) return;
    const abort = new AbortController();
    inFlight.add(abort);
    const timer = clock.setTimeout(() => abort.abort(), options.timeoutMs);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `bottle-server/${version}`,
      'x-bottle-event': event.type,
      'x-bottle-delivery': event.id,
    };
    if (options.secret) headers['x-bottle-signature-256'] = signatureOf(body, options.secret);
    fetch(url, { method: 'POST', headers, body, signal: abort.signal, redirect: 'manual' })
      .then(
        async (response) => {
          // Read to the end, so that the connection is free again.
          await response.arrayBuffer().catch(() => {});
          return response.ok ? undefined : `answered ${response.status}`;
        },
        (error: unknown) => (error as Error)?.message ?? String(error),
      )
      .then((failure) => {
        timer();
        inFlight.delete(abort);
        if (failure === undefined || closed) return;
        if (attempt >= options.attempts) {
          logger.warn(
            `webhook ${event.type} ${event.id} to ${redact(url)} dropped after ${attempt} tries: ${failure}`,
          );
          return;
        }
        logger.debug?.(`webhook ${event.type} to ${redact(url)} ${failure}; retrying`);
        const cancel = clock.setTimeout(
          () => {
            retries.delete(cancel);
            deliver(url, event, body, attempt + 1);
          },
          options.retryDelayMs * 2 ** (attempt - 1),
        );
        retries.add(cancel);
      });
  };

  const send = (event: NotifyEvent) => {
    if (closed) return;
    if (pending() + options.urls.length > MAX_PENDING) {
      logger.warn(`webhook ${event.type} dropped: ${pending()} deliveries already pending`);
      return;
    }
    const body = JSON.stringify(event);
    for (const url of options.urls) deliver(url, event, body, 1);
  };

  /** The store says whether a failure was the last: a retryable one is final once attempts ran out. */
  const taskFailed = async (event: Extract<ServerEvent, { type: 'task.failed' }>) => {
    const { task } = await store.getTask(event.key);
    if (task.state === 'failed') send(taskFailedEvent(task, event.workerId, clock.now()));
  };

  return {
    onEvent(event) {
      if (event.type === 'scan.finished') {
        // Told by the first server to see this end (the store keeps who told it).
        store.tellScanEnd(event.scan).then(
          (completion) => {
            if (completion !== null) send(scanEndedEvent(event, completion, clock.now()));
          },
          (error: unknown) =>
            logger.warn(
              `webhook scan.ended for ${event.scan}: ${(error as Error)?.message ?? String(error)}`,
            ),
        );
      } else if (event.type === 'task.failed' && options.taskFailures) {
        taskFailed(event).catch((error: unknown) =>
          logger.warn(`webhook task.failed for ${event.key}: ${(error as Error)?.message ?? String(error)}`),
        );
      }
    },
    get pending() {
      return pending();
    },
    close() {
      closed = true;
      for (const cancel of retries) cancel();
      retries.clear();
      for (const abort of inFlight) abort.abort();
      inFlight.clear();
    },
  };
}

/** A URL for a log line: no credentials, no query (which may hold a receiver's token). */
function redact(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
