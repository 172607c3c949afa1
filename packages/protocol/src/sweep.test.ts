import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { isBottleError } from './errors.js';
import { gridSweepParams, parseGridValues, sweepFromSpec } from './sweep.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isBottleError(error) ? error.code : String(error);
  }
  return 'no error';
};

describe('parseGridValues', () => {
  it('types values predictably', () => {
    expect(parseGridValues('1,-2.5,1e3,true,false,null,abc,0x10,1.')).toEqual([
      1,
      -2.5,
      1000,
      true,
      false,
      null,
      'abc',
      '0x10',
      '1.',
    ]);
  });
  it('keeps quoted text as strings, commas included', () => {
    expect(parseGridValues(`'1',"a,b",'',"it's"`)).toEqual(['1', 'a,b', '', "it's"]);
  });
  it('expands ranges, both ends included, without float noise', () => {
    expect(parseGridValues('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseGridValues('0..1:0.25')).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(parseGridValues('0..0.3:0.1')).toEqual([0, 0.1, 0.2, 0.3]);
    expect(parseGridValues('3..1')).toEqual([3, 2, 1]);
    expect(parseGridValues('1..2,7')).toEqual([1, 2, 7]);
  });
  it('refuses empty values, unclosed quotes, zero and wrong-way steps', () => {
    expect(codeOf(() => parseGridValues('1,,2'))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => parseGridValues("'abc"))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => parseGridValues('0..1:0'))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => parseGridValues('0..1:-1'))).toBe('ERR_BAD_PARAM_SET');
  });
});

describe('gridSweepParams', () => {
  it('takes the product of grids, the zip innermost', () => {
    const set = gridSweepParams(['a=1,2'], ['b=x,y,z', 'c=7..9']);
    expect([...set]).toEqual([
      { a: 1, b: 'x', c: 7 },
      { a: 1, b: 'y', c: 8 },
      { a: 1, b: 'z', c: 9 },
      { a: 2, b: 'x', c: 7 },
      { a: 2, b: 'y', c: 8 },
      { a: 2, b: 'z', c: 9 },
    ]);
    expect(codeOf(() => gridSweepParams([], ['b=1,2', 'c=1']))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => gridSweepParams(['novalue']))).toBe('ERR_BAD_PARAM_SET');
  });
});

describe('sweepFromSpec', () => {
  it('builds the pset algebra from data', () => {
    const sweep = sweepFromSpec({
      task: 'train',
      timeout: '2m',
      params: { concat: [{ product: [{ lr: [0.1, 0.01] }, { seed: '1..2' }] }, [{ lr: 1, seed: 0 }]] },
    });
    expect(sweep.task).toBe('train');
    expect(sweep.scan).toBe('train');
    expect(sweep.timeoutMs).toBe(120_000);
    expect([...sweep.params]).toEqual([
      { lr: 0.1, seed: 1 },
      { lr: 0.1, seed: 2 },
      { lr: 0.01, seed: 1 },
      { lr: 0.01, seed: 2 },
      { lr: 1, seed: 0 },
    ]);
  });
  it('reads several keys as a product and names the scan', () => {
    const sweep = sweepFromSpec({ task: 'examples/x.Task', scan: 'small', params: { a: [1, 2], b: 'u,v' } });
    expect(sweep.scan).toBe('small');
    expect(sweep.params.size).toBe(4);
    expect(sweepFromSpec({ task: 'a b', params: { a: 1 } }).scan).toBe('sweep');
  });
  it('refuses unknown keys, a missing task, mixed operators and unequal zips', () => {
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { a: 1 }, extra: 1 }))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => sweepFromSpec({ params: { a: 1 } }))).toBe('ERR_BAD_PARAM_SET');
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { zip: [{ a: 1 }], b: [1] } }))).toBe(
      'ERR_BAD_PARAM_SET',
    );
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { zip: [{ a: [1, 2] }, { b: [1] }] } }))).toBe(
      'ERR_BAD_PARAM_SET',
    );
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { a: { x: 1 } } }))).toBe('ERR_BAD_PARAM_SET');
  });
  it('reads what each task asks: resources (memory as a size) and needs', () => {
    const sweep = sweepFromSpec({
      task: 't',
      params: { a: 1 },
      resources: { gpus: 1, memory: '1KiB' },
      needs: ['cuda12'],
      priority: 5,
    });
    expect(sweep.priority).toBe(5);
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { a: 1 }, priority: 1.5 }))).toBe(
      'ERR_BAD_PARAM_SET',
    );
    expect(sweep.resources).toEqual({ gpus: 1, memory: 1024 });
    expect(sweep.needs).toEqual(['cuda12']);
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { a: 1 }, resources: { gpus: 'x' } }))).toBe(
      'ERR_BAD_RESOURCES',
    );
    expect(codeOf(() => sweepFromSpec({ task: 't', params: { a: 1 }, needs: 'a b' }))).toBe(
      'ERR_BAD_RESOURCES',
    );
  });
});

describe('parseDuration', () => {
  it('reads seconds and units', () => {
    expect(parseDuration(90, 't')).toBe(90_000);
    expect(parseDuration('1.5h', 't')).toBe(5_400_000);
    expect(parseDuration('250ms', 't')).toBe(250);
    expect(codeOf(() => parseDuration('soon', 't', 'ERR_BAD_TASK_FILE'))).toBe('ERR_BAD_TASK_FILE');
    expect(codeOf(() => parseDuration(0, 't'))).toBe('ERR_BAD_PARAM_SET');
  });
});
