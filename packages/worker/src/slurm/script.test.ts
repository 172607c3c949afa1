import { describe, expect, it } from 'vitest';
import { shellQuote, slurmJobScript, slurmTimeSeconds } from './script.js';

const base = {
  array: 4,
  slots: 8,
  command: 'npx bottle-worker',
  workerArgs: ['http://login1:1988'],
  jobName: 'bottle-worker',
  output: 'bottle-worker-%A_%a.out',
  signalSeconds: 60,
};

describe('slurmJobScript', () => {
  it('writes one #SBATCH line per option and execs the worker, so that the B: signal reaches it', () => {
    const script = slurmJobScript({
      ...base,
      time: '1:00:00',
      partition: 'P',
      mem: '16G',
      gres: 'gpu:1',
      account: 'lab',
      qos: 'normal',
      extraSbatchArgs: ['--exclusive'],
      workerArgs: ['http://login1:1988', '--task-file', "my tasks's.yaml"],
    });
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines.filter((line) => line.startsWith('#SBATCH '))).toEqual([
      '#SBATCH --job-name=bottle-worker',
      '#SBATCH --array=0-3',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --time=1:00:00',
      '#SBATCH --partition=P',
      '#SBATCH --mem=16G',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --account=lab',
      '#SBATCH --qos=normal',
      '#SBATCH --output=bottle-worker-%A_%a.out',
      '#SBATCH --signal=B:TERM@60',
      '#SBATCH --exclusive',
    ]);
    expect(lines.at(-2)).toBe(
      `exec npx bottle-worker http://login1:1988 --task-file 'my tasks'\\''s.yaml' -x 8`,
    );
  });

  it('refuses what sbatch would misread: no elements, a bad time, a line break in an option', () => {
    expect(() => slurmJobScript({ ...base, array: 0 })).toThrow(/--array/);
    expect(() => slurmJobScript({ ...base, slots: 1.5 })).toThrow(/-x/);
    expect(() => slurmJobScript({ ...base, time: 'an hour' })).toThrow(/not a Slurm time/);
    expect(() => slurmJobScript({ ...base, partition: 'a\n#SBATCH --x' })).toThrow(/line break/);
    expect(() => slurmJobScript({ ...base, command: 'a\nb' })).toThrow(/one line/);
  });
});

describe('slurmTimeSeconds', () => {
  it("reads each of Slurm's time formats", () => {
    expect(slurmTimeSeconds('30')).toBe(1800);
    expect(slurmTimeSeconds('2:30')).toBe(150);
    expect(slurmTimeSeconds('1:00:00')).toBe(3600);
    expect(slurmTimeSeconds('2-0')).toBe(2 * 86400);
    expect(slurmTimeSeconds('1-2:03')).toBe(86400 + 2 * 3600 + 180);
    expect(slurmTimeSeconds('1-02:03:04')).toBe(86400 + 2 * 3600 + 184);
    expect(slurmTimeSeconds('UNLIMITED')).toBeUndefined();
    expect(() => slurmTimeSeconds('1h')).toThrow();
  });
});

describe('shellQuote', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(shellQuote('http://a:1988/x')).toBe('http://a:1988/x');
    expect(shellQuote('a b')).toBe(`'a b'`);
    expect(shellQuote('$HOME')).toBe(`'$HOME'`);
  });
});
