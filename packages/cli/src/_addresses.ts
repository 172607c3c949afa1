import { hostname, networkInterfaces } from 'node:os';

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The URLs to give workers for a server bound to `host`. `http://0.0.0.0:1988` is where a server
 * listens, not an address anyone can reach: a server bound to every interface is named by this
 * machine's host name and its first external address, after the loopback one for local workers.
 */
export function reachableUrls(url: string, host: string): { local: string; remote: string[] } {
  if (!ANY_ADDRESS.has(host)) return { local: url, remote: [] };
  const port = new URL(url).port;
  const remote = [`http://${hostname()}:${port}`];
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && !address.internal && address.family === 'IPv4');
  if (external) remote.push(`http://${external.address}:${port}`);
  return { local: `http://127.0.0.1:${port}`, remote };
}
