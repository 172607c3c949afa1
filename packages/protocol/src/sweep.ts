/**
 * Sweeps written as data rather than code: `--grid lr=0.1,0.01 --grid seed=1..5` on a command line,
 * or the object of a sweep file (YAML/JSON). Both build the same lazy parameter sets as `pset`.
 * Pure: reading the file is the caller's business.
 */
import { parseDuration } from './duration.js';
import { BottleError } from './errors.js';
import type { JsonValue } from './json.js';
import { concat, fromList, type ParamSet, product, pset, zip } from './pset.js';
import { parseLabels, parseResources, type Resources } from './resources.js';
import { scanNameSchema, taskNameSchema } from './schemas.js';

/** A sweep ready to submit: the task its parameter sets run with, and its scan name. */
export interface Sweep {
  task: string;
  scan: string;
  params: ParamSet;
  maxAttempts?: number;
  timeoutMs?: number;
  /** What each task holds while it runs (see docs/resources.md). */
  resources?: Resources;
  /** Labels each task's worker must have. */
  needs?: string[];
  /** Priority of each task (higher is handed out first). */
  priority?: number;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const RANGE = /^(-?[\d.eE+-]+)\.\.(-?[\d.eE+-]+)(?::(-?[\d.eE+-]+))?$/;
const MAX_RANGE = 10_000_000;
const OPERATORS = ['product', 'concat', 'zip'] as const;

function bad(message: string): BottleError {
  return new BottleError('ERR_BAD_PARAM_SET', message);
}

/**
 * The values of one `--grid` item, typed predictably: `1`, `-2.5`, `1e3` are numbers; `true`, `false`
 * booleans; `null` null; `A..B` and `A..B:STEP` inclusive numeric ranges; text in quotes (`'1'`, `"a,b"`)
 * a string as written; anything else a string. Items are separated by commas outside quotes.
 */
export function parseGridValues(text: string, where = 'value'): JsonValue[] {
  const values: JsonValue[] = [];
  let i = 0;
  while (i <= text.length) {
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      const close = text.indexOf(quote, i + 1);
      if (close < 0) throw bad(`${where}: the quote ${quote} opened at ${i + 1} is never closed`);
      values.push(text.slice(i + 1, close));
      i = close + 1;
      if (i < text.length && text[i] !== ',') {
        throw bad(`${where}: a comma must follow the quoted value ending at ${i}`);
      }
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    const end = comma < 0 ? text.length : comma;
    const item = text.slice(i, end).trim();
    if (item === '') throw bad(`${where}: an empty value in "${text}"; write '' for an empty string`);
    values.push(...typedItem(item, where));
    i = end + 1;
  }
  return values;
}

function typedItem(item: string, where: string): JsonValue[] {
  if (NUMBER.test(item)) return [Number(item)];
  if (item === 'true' || item === 'false') return [item === 'true'];
  if (item === 'null') return [null];
  const range = RANGE.exec(item);
  if (range && NUMBER.test(range[1] as string) && NUMBER.test(range[2] as string)) {
    return numericRange(Number(range[1]), Number(range[2]), range[3], `${where}: ${item}`);
  }
  return [item];
}

/** `from..to[:step]`, both ends included; a step of 0.1 gives 0.3, not 0.30000000000000004. */
function numericRange(from: number, to: number, stepText: string | undefined, where: string): number[] {
  if (stepText !== undefined && !NUMBER.test(stepText)) throw bad(`${where}: the step is not a number`);
  const step = stepText === undefined ? (to >= from ? 1 : -1) : Number(stepText);
  if (step === 0) throw bad(`${where}: the step must not be 0`);
  if ((to - from) * step < 0) throw bad(`${where}: a step of ${step} never reaches ${to} from ${from}`);
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > MAX_RANGE) throw bad(`${where}: ${count} values; a range holds at most ${MAX_RANGE}`);
  return Array.from({ length: count }, (_, i) => Number((from + i * step).toPrecision(12)));
}

/** One `--grid`/`--zip` argument, `name=values`, as a one-parameter set. */
export function gridParamSet(arg: string): ParamSet {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw bad(`"${arg}": write name=values, e.g. lr=0.1,0.01 or seed=1..5`);
  const name = arg.slice(0, eq).trim();
  return pset(name, parseGridValues(arg.slice(eq + 1), name));
}

/**
 * The sets of `--grid` (every combination, first outermost) and `--zip` (pairwise, equal lengths),
 * the zipped set being the innermost factor of the product.
 */
export function gridSweepParams(grids: readonly string[], zips: readonly string[] = []): ParamSet {
  const factors = grids.map(gridParamSet);
  if (zips.length > 0) {
    const [first, ...rest] = zips.map(gridParamSet);
    factors.push(zip(first as ParamSet, ...rest));
  }
  const [head, ...tail] = factors;
  if (head === undefined) throw bad('no parameters: give at least one --grid or --zip name=values');
  return tail.length === 0 ? head : product(head, ...tail);
}

/**
 * A parameter-set expression as data (a sweep file's `params`):
 * - `{ lr: [0.1, 0.01], seed: "1..5" }`: every combination of the named values (a string is read as in `--grid`);
 * - `{ product: [e1, e2] }`, `{ concat: [...] }`, `{ zip: [...] }`: the algebra of `pset`;
 * - `[{ lr: 0.1, seed: 1 }, ...]`: an explicit list of parameter sets.
 */
export function paramSetFromSpec(expr: unknown, path = 'params'): ParamSet {
  if (Array.isArray(expr)) return fromList(expr);
  if (typeof expr !== 'object' || expr === null) {
    throw bad(
      `${path}: expected an object of parameters, a list of parameter sets, or { product | concat | zip: [...] }`,
    );
  }
  const keys = Object.keys(expr);
  const operator = OPERATORS.find((op) => keys.includes(op));
  if (operator !== undefined) {
    if (keys.length !== 1)
      throw bad(`${path}: { ${operator}: [...] } takes no other key (found ${keys.join(', ')})`);
    const operands = (expr as Record<string, unknown>)[operator];
    if (!Array.isArray(operands) || operands.length === 0)
      throw bad(`${path}.${operator}: expected a non-empty list`);
    const [head, ...tail] = operands.map((e, i) => paramSetFromSpec(e, `${path}.${operator}[${i}]`));
    const op = operator === 'product' ? product : operator === 'concat' ? concat : zip;
    return op(head as ParamSet, ...tail);
  }
  if (keys.length === 0) throw bad(`${path}: no parameters`);
  const factors = keys.map((name) => {
    const values = (expr as Record<string, unknown>)[name];
    const where = `${path}.${name}`;
    if (Array.isArray(values)) return pset(name, values);
    if (typeof values === 'string') return pset(name, parseGridValues(values, where));
    if (typeof values === 'number' || typeof values === 'boolean' || values === null)
      return pset(name, [values]);
    throw bad(`${where}: expected a list of values, a string such as "1..5" or "a,b", or one value`);
  });
  const [head, ...tail] = factors;
  return tail.length === 0 ? (head as ParamSet) : product(head as ParamSet, ...tail);
}

const SWEEP_KEYS = new Set([
  'task',
  'scan',
  'params',
  'timeout',
  'maxAttempts',
  'resources',
  'needs',
  'priority',
  '$schema',
]);

/**
 * A sweep file's object: `{ task, scan?, params, timeout?, maxAttempts?, priority?, resources?, needs? }`. The
 * scan name defaults to the task name when that is a valid scan name; `timeout` is seconds or a
 * duration (`90s`, `5m`, `2h`); `resources` named amounts (`{ gpus: 1, memory: 16GiB }`) and `needs`
 * labels that every task of the sweep asks (ERR_BAD_RESOURCES when they are not).
 */
export function sweepFromSpec(spec: unknown, where = 'sweep'): Sweep {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw bad(`${where}: expected an object with task and params`);
  }
  const object = spec as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!SWEEP_KEYS.has(key))
      throw bad(`${where}: unknown key "${key}" (known: ${[...SWEEP_KEYS].join(', ')})`);
  }
  const task = taskNameSchema.safeParse(object.task);
  if (!task.success)
    throw bad(`${where}: "task" must name the task to run (a command task or module.export)`);
  if (object.params === undefined) throw bad(`${where}: "params" is missing`);
  const scan = object.scan ?? (scanNameSchema.safeParse(task.data).success ? task.data : 'sweep');
  const scanName = scanNameSchema.safeParse(scan);
  if (!scanName.success)
    throw bad(`${where}: scan: ${scanName.error.issues[0]?.message ?? 'not a scan name'}`);
  const sweep: Sweep = {
    task: task.data,
    scan: scanName.data,
    params: paramSetFromSpec(object.params, `${where}.params`),
  };
  if (object.timeout !== undefined) sweep.timeoutMs = parseDuration(object.timeout, `${where}.timeout`);
  if (object.maxAttempts !== undefined) {
    const n = object.maxAttempts;
    if (!Number.isInteger(n) || (n as number) < 1) throw bad(`${where}.maxAttempts: a whole number >= 1`);
    sweep.maxAttempts = n as number;
  }
  if (object.resources !== undefined)
    sweep.resources = parseResources(object.resources, `${where}.resources`);
  if (object.needs !== undefined) sweep.needs = parseLabels(object.needs, `${where}.needs`);
  if (object.priority !== undefined) {
    const n = object.priority;
    if (!Number.isInteger(n) || Math.abs(n as number) > 1_000_000)
      throw bad(`${where}.priority: a whole number from -1000000 to 1000000 (higher goes first)`);
    sweep.priority = n as number;
  }
  return sweep;
}
