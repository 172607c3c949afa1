import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './misc.js';
import { type SlurmFixture, slurmSkipReason, startSlurm } from './slurm.js';

const skip = slurmSkipReason();
if (skip) console.warn(skip);

describe.skipIf(skip !== undefined)('the one-node test Slurm', () => {
  let slurm: SlurmFixture;
  beforeAll(async () => {
    slurm = await startSlurm();
  });
  afterAll(async () => {
    await slurm?.stop();
  });

  it('runs a job array and reports it through squeue; stop() ends every daemon and removes its directory', async () => {
    const out = join(slurm.dir, 'out-%a.txt');
    const submitted = await slurm.run('sbatch', [
      '--parsable',
      '--array=0-1',
      `--output=${out}`,
      '--wrap',
      'echo "element $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID"',
    ]);
    const jobId = submitted.trim().split(';')[0];
    expect(jobId).toMatch(/^\d+$/);
    const files = [0, 1].map((element) => join(slurm.dir, `out-${element}.txt`));
    await waitFor(
      () => files.every((file) => existsSync(file) && readFileSync(file, 'utf8').includes('element')),
      {
        timeoutMs: 20_000,
        what: `both array elements to write their output\n${slurm.logs()}`,
      },
    );
    expect(readFileSync(files[1] as string, 'utf8')).toBe(`element 1 of ${jobId}\n`);
    await waitFor(async () => (await slurm.run('squeue', ['-h', '-j', jobId as string])).trim() === '', {
      what: 'the job to leave the queue',
    });

    const dir = slurm.dir;
    const pids = ['slurmd.pid', 'slurmctld.pid', 'munge/pid'].map((file) =>
      Number(readFileSync(join(dir, file), 'utf8')),
    );
    await slurm.stop();
    expect(existsSync(dir)).toBe(false);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
