/** A webhook receiver on a loopback port, for tests of `--notify`: it keeps each delivery it gets. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  /** The body exactly as received (signatures are over these bytes). */
  body: string;
}

export interface WebhookReceiver {
  /** Where to send (a path and a query that a sender must keep). */
  url: string;
  /** Every delivery so far, in arrival order. */
  deliveries: Delivery[];
  close(): Promise<void>;
}

/**
 * Starts a receiver; `answer` decides each request's fate (`n` counts from 1). By default every
 * delivery gets 204.
 */
export async function startWebhookReceiver(
  answer: (delivery: Delivery, res: ServerResponse, n: number) => void = (_delivery, res) => {
    res.statusCode = 204;
    res.end();
  },
): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const delivery = { headers: req.headers, body };
      deliveries.push(delivery);
      answer(delivery, res, deliveries.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?key=x`,
    deliveries,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
