import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const leftovers = new Set<string>();
let exitHookInstalled = false;

/** A fresh temporary directory, removed when the test process exits (or by calling `remove`). */
export function makeTempDir(prefix = 'bottle-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  leftovers.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // One hook for all directories: a listener per directory would trip MaxListenersExceeded.
    process.once('exit', () => {
      for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
    });
  }
  const remove = () => {
    leftovers.delete(path);
    rmSync(path, { recursive: true, force: true });
  };
  return { path, remove };
}

/**
 * Polls `check` until it returns a truthy value, at most `timeoutMs`; returns that value.
 * A bounded loop for conditions that have no event to wait on (a file appearing, a row changing).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 20_000, intervalMs = 20, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/** A TCP port free on 127.0.0.1 right now (for children that must be told a port up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
