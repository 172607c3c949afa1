/** The gather flags, in process: sizes for --max-upload, and the usage errors of the new commands. */
import { main } from '@bottle/cli';
import { describe, expect, it } from 'vitest';
import { parseSize } from '../src/commands/server.js';
import { recordingContext } from './_context.js';

describe('--max-upload sizes', () => {
  it('reads bytes and units (decimal and binary)', () => {
    expect(parseSize('1000')).toBe(1000);
    expect(parseSize('500MB')).toBe(500_000_000);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5 kib')).toBe(1536);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'lots', '-1MB', '0', '3 parsecs'])
      expect(() => parseSize(bad), bad).toThrow(/not a size/);
  });
});

describe('usage errors', () => {
  it('--max-upload without --gather, and --from with --scan, exit 2 with a message', async () => {
    const server = recordingContext();
    expect(
      await main('bottle-server', ['--max-upload', '1GB', '--port', '0', '--db', ':memory:'], server.context),
    ).toBe(2);
    expect(server.stderr).toMatch(/--max-upload needs --gather DIR/);
    const results = recordingContext();
    expect(await main('bottle', ['results', '--from', '.', '--scan', 's'], results.context)).toBe(2);
    expect(results.stderr).toMatch(/--scan reads from the server/);
  });
});
