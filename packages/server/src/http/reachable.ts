/** The address to give workers: never the wildcard a server listens on. */
import { hostname, networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '::0']);

/**
 * For a wildcard bind, the first external IPv4 address of this machine (else its host name); any
 * other host as given.
 */
export function reachableUrl(host: string, port: number): string {
  let name = host;
  if (WILDCARDS.has(host)) {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && !address.internal && address.family === 'IPv4');
    name = external?.address ?? hostname();
  }
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
