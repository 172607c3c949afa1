/** A router mounted under a prefix of an Express application, on an ephemeral port. */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BottleRouter } from '@bottle/server';
import express from 'express';

export interface Mounted {
  /** `http://127.0.0.1:PORT/prefix`. */
  base: string;
  /** Closes the router, the HTTP server, then calls `after` (e.g. to close the store). */
  close(): Promise<void>;
}

export async function serveMounted(
  router: BottleRouter,
  prefix: string,
  after: () => Promise<void>,
  app: express.Express = express(),
): Promise<Mounted> {
  app.use(prefix, router);
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`,
    async close() {
      await router.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await after();
    },
  };
}
