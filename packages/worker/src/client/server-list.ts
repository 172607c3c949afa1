/**
 * The servers a worker may talk to, one client each, and which one it talks to now. Several
 * servers of one database serve the same queue (a lease is valid on any of them), so when the
 * current one stops answering, claims, heartbeats and reports carry on through the next.
 */
import { isBottleError } from '@bottle/protocol';
import { BottleClient, type BottleClientOptions } from './client.js';

/** True for errors worth retrying: the server unreachable, slow, or failing (5xx). */
export function isTransient(error: unknown): boolean {
  if (!isBottleError(error)) return true;
  if (error.code === 'ERR_SERVER_UNREACHABLE' || error.code === 'ERR_TIMEOUT') return true;
  return error.status !== undefined && error.status >= 500;
}

export class ServerList {
  readonly clients: readonly BottleClient[];
  #current = 0;
  /** Transient failures since the last success: once it reaches the list's length, all are down. */
  #failuresInRow = 0;

  constructor(clients: readonly BottleClient[]) {
    if (clients.length === 0) throw new TypeError('ServerList: give at least one server');
    this.clients = clients;
  }

  /** One client per URL, with the same options. */
  static of(servers: readonly string[], options: Omit<BottleClientOptions, 'server'> = {}): ServerList {
    return new ServerList(servers.map((server) => new BottleClient({ ...options, server })));
  }

  get current(): BottleClient {
    return this.clients[this.#current] as BottleClient;
  }

  /** True when every server failed since the last answer: time to back off, not to switch. */
  get allDown(): boolean {
    return this.#failuresInRow >= this.clients.length;
  }

  /** A request through `client` was answered. */
  succeeded(client: BottleClient): void {
    if (client === this.current) this.#failuresInRow = 0;
  }

  /**
   * A request through `client` failed with `error`. A transient failure of the current server moves
   * on to the next one; a failure through a server already left changes nothing. Answers whether
   * to try again at once (through another server), rather than back off.
   */
  failed(client: BottleClient, error: unknown): boolean {
    if (!isTransient(error)) return false;
    if (client === this.current) {
      this.#failuresInRow++;
      this.#current = (this.#current + 1) % this.clients.length;
    }
    return !this.allDown;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
