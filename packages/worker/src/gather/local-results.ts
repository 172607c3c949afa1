/**
 * Result rows from a local folder of output directories (what `bottle gather --to DIR` writes, or a
 * worker's own `--out` folder): each `<paramsHash>/` holds `params.json`, `status.json` and perhaps
 * `result.json`. Rows come in folder-name order.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Hex, type JsonValue, type Params } from '@bottle/protocol';
import { type ResultRow, type RowSource, rowsFromSources } from './results.js';

async function readJson(path: string): Promise<JsonValue | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    // A task still writing its result, or a hand-edited file: show the row without it.
    return undefined;
  }
}

function asObject(value: JsonValue | undefined): Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** Epoch milliseconds from a number or an ISO date string. */
function toEpochMs(value: JsonValue | undefined): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/** The first of `names` present in `object`. */
function pick(object: Record<string, JsonValue>, ...names: string[]): JsonValue | undefined {
  for (const name of names) if (object[name] !== undefined) return object[name];
  return undefined;
}

/** One row per `<paramsHash>/` directory of `folder` that has a `params.json` or a `status.json`. */
export async function readLocalResults(folder: string): Promise<ResultRow[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && isSha256Hex(entry.name))
    .map((entry) => entry.name)
    .sort();
  const sources: RowSource[] = [];
  for (const name of names) {
    const dir = join(folder, name);
    const params = await readJson(join(dir, 'params.json'));
    const status = await readJson(join(dir, 'status.json'));
    if (params === undefined && status === undefined) continue;
    const statusObject = asObject(status);
    const state = pick(statusObject, 'state', 'status');
    const attempts = pick(statusObject, 'attempts', 'attempt');
    const host = pick(statusObject, 'host');
    const fromStatus = pick(statusObject, 'result');
    const result =
      (await readJson(join(dir, 'result.json'))) ?? (fromStatus === null ? undefined : fromStatus);
    sources.push({
      params: asObject(params) as Params,
      state: typeof state === 'string' ? state : null,
      attempts: typeof attempts === 'number' ? attempts : null,
      startedAt: toEpochMs(pick(statusObject, 'startedAt', 'start', 'started')),
      finishedAt: toEpochMs(pick(statusObject, 'finishedAt', 'endedAt', 'end', 'finished')),
      host: typeof host === 'string' ? host : null,
      result,
    });
  }
  return rowsFromSources(sources);
}
