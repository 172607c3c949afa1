import { hostname, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { reachableUrl } from './reachable.js';

describe('reachableUrl', () => {
  it('never gives a wildcard address to workers', () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => `http://${a?.address}:1988`);
    for (const host of ['0.0.0.0', '::']) {
      const url = reachableUrl(host, 1988);
      expect(url).not.toMatch(/0\.0\.0\.0|\[::\]/);
      expect([...external, `http://${hostname()}:1988`]).toContain(url);
    }
  });

  it('keeps a named host, bracketing IPv6', () => {
    expect(reachableUrl('127.0.0.1', 80)).toBe('http://127.0.0.1:80');
    expect(reachableUrl('::1', 80)).toBe('http://[::1]:80');
    expect(reachableUrl('box.lan', 80)).toBe('http://box.lan:80');
  });
});
