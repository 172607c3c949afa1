/** The gather flags, in process: sizes for --max-upload, and the usage errors of the new commands. */
import { main } from '@bottle/cli';
import { describe, expect, it } from 'vitest';
import { recordingContext } from './_context.js';

describe('--max-upload sizes', () => {
  it("refuses what is not a size with a usage error (the units are parseByteSize's, tested there)", async () => {
    for (const bad of ['lots', '-1MB', '0', '3 parsecs']) {
      const run = recordingContext();
      const args = [`--max-upload=${bad}`, '--gather', 'g', '--port', '0', '--db', ':memory:'];
      expect(await main('bottle-server', args, run.context), bad).toBe(2);
      expect(run.stderr, bad).toContain(`--max-upload: '${bad}' is not a size; write e.g. 500MB or 2GiB`);
    }
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
