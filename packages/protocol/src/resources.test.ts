import { describe, expect, it } from 'vitest';
import { isBottleError } from './errors.js';
import { needsShape, parseLabels, parseNeedsShape, parseResources, resourcesSchema } from './resources.js';

describe('resources and labels as people write them', () => {
  it('reads a list, repeated flags and an object alike, memory as a size', () => {
    expect(parseResources('gpus=2,cpus=16')).toEqual({ gpus: 2, cpus: 16 });
    expect(parseResources(['gpus=2', 'memory=16GiB'])).toEqual({ gpus: 2, memory: 16 * 1024 ** 3 });
    expect(parseResources({ gpus: 0.5, memory: '512MB', licences: '3' })).toEqual({
      gpus: 0.5,
      memory: 512e6,
      licences: 3,
    });
    expect(parseLabels('cuda12, avx512')).toEqual(['cuda12', 'avx512']);
    expect(parseLabels(['a', 'b.c-d_e'])).toEqual(['a', 'b.c-d_e']);
  });

  it('refuses what is not an amount or a name with ERR_BAD_RESOURCES saying how to write it', () => {
    const refusal = (read: () => unknown) => {
      try {
        read();
      } catch (error) {
        expect(isBottleError(error, 'ERR_BAD_RESOURCES')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal(() => parseResources('gpus=two', '--resources'))).toMatch(
      /--resources: gpus=two is not an amount; write a number >= 0/,
    );
    expect(refusal(() => parseResources('gpus'))).toMatch(/write name=amount/);
    expect(refusal(() => parseResources({ gpus: -1 }))).toMatch(/not an amount/);
    expect(refusal(() => parseResources({ '1gpu': 1 }))).toMatch(/not a resource name/);
    expect(refusal(() => parseResources({ memory: 'lots' }))).toMatch(/or a size such as 16GiB/);
    expect(refusal(() => parseLabels(['cuda 12']))).toMatch(/not a label name/);
    expect(refusal(() => parseLabels(7))).toMatch(/expected a list of labels/);
  });

  it('gives one shape to the same needs however written, and none to no needs', () => {
    const a = needsShape({ gpus: 1, cpus: 2, memory: 0 }, ['b', 'a', 'a']);
    expect(a).toBe(needsShape({ cpus: 2, gpus: 1 }, ['a', 'b']));
    expect(a).toBe('{"needs":["a","b"],"resources":{"cpus":2,"gpus":1}}');
    expect(parseNeedsShape(a as string)).toEqual({ resources: { cpus: 2, gpus: 1 }, needs: ['a', 'b'] });
    expect(needsShape(undefined, undefined)).toBeNull();
    expect(needsShape({ gpus: 0 }, [])).toBeNull();
  });

  it('has a wire schema that refuses negative amounts and bad names', () => {
    expect(resourcesSchema.safeParse({ gpus: 1.5 }).success).toBe(true);
    expect(resourcesSchema.safeParse({ gpus: -1 }).success).toBe(false);
    expect(resourcesSchema.safeParse({ 'a b': 1 }).success).toBe(false);
  });
});
