import { describe, expect, it } from 'vitest';
import { runSlurm } from './commands.js';

describe('runSlurm', () => {
  it('survives a command that exits without reading its input, and reports its failure', async () => {
    // More than a pipe holds: the write is still under way when the command has gone.
    const input = 'x'.repeat(4 * 1024 * 1024);
    expect(await runSlurm('true', [], { input })).toBe('');
    await expect(runSlurm('false', ['--no-such-option'], { input })).rejects.toMatchObject({
      code: 'ERR_SLURM',
      message: expect.stringMatching(/^false --no-such-option failed/),
    });
    await expect(runSlurm('no-such-slurm-command', [])).rejects.toThrow(/not found: run this on a machine/);
  });
});
