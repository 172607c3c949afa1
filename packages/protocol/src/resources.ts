/**
 * What a task asks of a worker, and what a worker has. *Resources* are named counts (`cpus`,
 * `memory` in bytes, `gpus`, or any name a site chooses): a task holds what it asks while it runs.
 * *Labels* are names a worker has (`cuda12`): a task's `needs` lists the labels its worker must have.
 * A task's *needs* (its resources and labels together) have one canonical text, its *shape*: tasks
 * of one shape are matched at once, and a sweep has few shapes however many tasks.
 */
import { z } from 'zod';
import { BottleError } from './errors.js';
import { parseByteSize } from './sizes.js';

/** Names of resources and labels: a letter, then letters, digits, `_`, `.`, `-`. */
export const RESOURCE_NAME = /^[A-Za-z][\w.-]{0,63}$/;
const NAME_RULE = 'a letter, then letters, digits, _ . - (at most 64)';

export const resourceNameSchema = z
  .string()
  .regex(RESOURCE_NAME, `resource and label names are ${NAME_RULE}`);

/** Named counts: `{ gpus: 1, memory: 17179869184 }`. Amounts are finite and >= 0; at most 32 names. */
export const resourcesSchema = z
  .record(resourceNameSchema, z.number().min(0).max(Number.MAX_SAFE_INTEGER))
  .refine((value) => Object.keys(value).length <= 32, { message: 'at most 32 resources' });
export type Resources = z.infer<typeof resourcesSchema>;

/** Labels, e.g. `['cuda12']`; at most 32. */
export const labelsSchema = z.array(resourceNameSchema).max(32);

/** What one task asks: resources it holds while it runs, labels its worker must have. */
export interface Needs {
  resources: Resources;
  needs: string[];
}

function bad(message: string): BottleError {
  return new BottleError('ERR_BAD_RESOURCES', message);
}

/**
 * One amount as people write it: a number, or for `memory` a byte size (`16GiB`, `512MB`).
 * Throws ERR_BAD_RESOURCES naming `where`.
 */
export function parseResourceAmount(name: string, value: unknown, where: string): number {
  const number = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number) && number >= 0) return number;
  const bytes = name === 'memory' ? parseByteSize(value) : undefined;
  if (bytes !== undefined) return bytes;
  throw bad(
    `${where}: ${name}=${String(value)} is not an amount; write a number >= 0` +
      (name === 'memory' ? ' of bytes, or a size such as 16GiB' : ''),
  );
}

function checkName(name: string, where: string, what: string): string {
  if (!RESOURCE_NAME.test(name)) throw bad(`${where}: "${name}" is not a ${what} name (${NAME_RULE})`);
  return name;
}

/**
 * Resources as an object of a sweep file or an option (`{ gpus: 1, memory: '16GiB' }`) or as a list
 * `gpus=2,cpus=16,memory=16GiB` (the CLI's `--resources`, repeatable). Throws ERR_BAD_RESOURCES.
 */
export function parseResources(value: unknown, where = 'resources'): Resources {
  const entries: [string, unknown][] = [];
  const items = typeof value === 'string' ? [value] : value;
  if (Array.isArray(items)) {
    for (const item of items.flatMap((text) => String(text).split(','))) {
      if (item.trim() === '') continue;
      const eq = item.indexOf('=');
      if (eq <= 0) throw bad(`${where}: "${item}": write name=amount, e.g. gpus=1,memory=16GiB`);
      entries.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
    }
  } else if (typeof value === 'object' && value !== null) {
    entries.push(...Object.entries(value));
  } else {
    throw bad(`${where}: expected named amounts such as { gpus: 1 } or gpus=1,cpus=4`);
  }
  if (entries.length > 32) throw bad(`${where}: at most 32 resources`);
  const resources: Resources = {};
  for (const [name, amount] of entries) {
    resources[checkName(name, where, 'resource')] = parseResourceAmount(name, amount, where);
  }
  return resources;
}

/** Labels as a list or text `cuda12,avx512`. Throws ERR_BAD_RESOURCES. */
export function parseLabels(value: unknown, where = 'labels'): string[] {
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items)) throw bad(`${where}: expected a list of labels such as [cuda12]`);
  const labels = items
    .flatMap((text) => String(text).split(','))
    .map((label) => label.trim())
    .filter((label) => label !== '');
  if (labels.length > 32) throw bad(`${where}: at most 32 labels`);
  return labels.map((label) => checkName(label, where, 'label'));
}

/**
 * The canonical text of a task's needs (resources of amount 0 dropped, names sorted, labels sorted
 * once each), or null when it asks nothing: a task without needs goes to any worker.
 */
export function needsShape(
  resources: Resources | undefined,
  needs: readonly string[] | undefined,
): string | null {
  if (resources === undefined && needs === undefined) return null;
  const asked = Object.keys(resources ?? {})
    .filter((name) => (resources as Resources)[name] !== 0)
    .sort();
  const labels = [...new Set(needs ?? [])].sort();
  if (asked.length === 0 && labels.length === 0) return null;
  const shape: Partial<Needs> = {};
  if (labels.length > 0) shape.needs = labels;
  if (asked.length > 0)
    shape.resources = Object.fromEntries(asked.map((n) => [n, (resources as Resources)[n] as number]));
  return JSON.stringify(shape);
}

/** The needs a shape text says (see needsShape). */
export function parseNeedsShape(shape: string): Needs {
  const parsed = JSON.parse(shape) as Partial<Needs>;
  return { resources: parsed.resources ?? {}, needs: parsed.needs ?? [] };
}
