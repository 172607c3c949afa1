import type { CliContext } from '@bottle/cli';

/** A context that records what a command prints. */
export function recordingContext(overrides: Partial<CliContext> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const context: CliContext = {
    env: {},
    cwd: process.cwd(),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    isTTY: false,
    columns: 100,
    ...overrides,
  };
  return {
    context,
    get stdout() {
      return out.join('');
    },
    get stderr() {
      return err.join('');
    },
  };
}
