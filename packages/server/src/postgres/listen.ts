/**
 * LISTEN on one dedicated connection: wakes this server's waiting claims when another server
 * made work ready. It reconnects by itself, and wakes everyone after a reconnection, since
 * notifications sent meanwhile are lost.
 */
import createDebug from 'debug';
import pg from 'pg';

const debug = createDebug('bottle:postgres');

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export class WorkListener {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly shown: string,
  ) {}

  /** Adds a listener (connecting on the first); returns the function that removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.retryTimer) void this.connect();
    return () => {
      this.listeners.delete(listener);
    };
  }

  private wakeAll(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    this.client = client;
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      if (this.closed) return;
      debug(
        `LISTEN connection to ${this.shown} lost (${error?.message ?? 'ended'}); retrying in ${this.retryMs} ms`,
      );
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.wakeAll());
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.retryMs > RETRY_MIN_MS) this.wakeAll();
      this.retryMs = RETRY_MIN_MS;
    } catch (error) {
      lost(error as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.listeners.clear();
    await client?.end().catch(() => {});
  }
}
