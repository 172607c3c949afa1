/**
 * A sweep's results as rows, one per task: the parameters as columns (union of keys in first-seen
 * order), then `state`, `attempts`, `duration` (seconds), `host`, then the fields of the task's result.
 * The same rows come from the server's task list (`resultRows`) or from a folder of gathered outputs
 * (`readLocalResults`), so `bottle results` prints the same table either way.
 */
import type { JsonValue, Params, TaskInfo } from '@bottle/protocol';

/** One row: column name to value. Every row has every column, in column order; absent cells are null. */
export type ResultRow = Record<string, JsonValue>;

/** The columns every row has, after the parameters. */
export const fixedColumns = ['state', 'attempts', 'duration', 'host'] as const;

/** What a row is made of, whichever side it was read from. */
export interface RowSource {
  params: Params;
  state: string | null;
  attempts: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  host: string | null;
  /** The run's return value, or the contents of `result.json`; undefined when there is none. */
  result: JsonValue | undefined;
}

export interface ResultRowsOptions {
  /**
   * Reads a task's `result.json` when its run returned nothing (e.g. from a gathered folder).
   * Returns undefined when there is none.
   */
  readResultJson?: (task: TaskInfo) => JsonValue | undefined | Promise<JsonValue | undefined>;
}

function isPlainObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rows from the server's task list (`GET /v1/tasks`). */
export async function resultRows(tasks: TaskInfo[], options: ResultRowsOptions = {}): Promise<ResultRow[]> {
  const sources: RowSource[] = [];
  for (const task of tasks) {
    let result: JsonValue | undefined = task.result ?? undefined;
    if (result === undefined && options.readResultJson) result = await options.readResultJson(task);
    sources.push({
      params: task.params,
      state: task.state,
      attempts: task.attempts,
      startedAt: task.startedAt,
      finishedAt: task.finishedAt,
      host: task.host,
      result,
    });
  }
  return rowsFromSources(sources);
}

/**
 * Builds the rows. Name clashes are resolved without losing a value: a parameter named like a fixed
 * column becomes `params.<name>`, a result field named like any earlier column becomes `result.<name>`.
 * A result that is not an object (a number, a string, a list) is one column, `result`.
 */
export function rowsFromSources(sources: RowSource[]): ResultRow[] {
  const reserved = new Set<string>(fixedColumns);
  const paramColumn = (name: string) => (reserved.has(name) ? `params.${name}` : name);
  const taken = new Set<string>(reserved);
  for (const source of sources) for (const name of Object.keys(source.params)) taken.add(paramColumn(name));
  const resultColumn = (name: string) => (taken.has(name) ? `result.${name}` : name);

  const built = sources.map((source) => {
    const row: ResultRow = {};
    for (const [name, value] of Object.entries(source.params)) row[paramColumn(name)] = value;
    row.state = source.state;
    row.attempts = source.attempts;
    row.duration =
      source.startedAt !== null && source.finishedAt !== null
        ? Math.round(source.finishedAt - source.startedAt) / 1000
        : null;
    row.host = source.host;
    const result = source.result;
    if (isPlainObject(result)) {
      for (const [name, value] of Object.entries(result)) row[resultColumn(name)] = value;
    } else if (result !== undefined) {
      row[resultColumn('result')] = result;
    }
    return row;
  });

  // Parameters first, then the fixed columns, then result fields, each group in first-seen order.
  const groups: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(fixedColumns), new Set()];
  for (const row of built) {
    let group = 0;
    for (const name of Object.keys(row)) {
      if (name === 'state') group = 1;
      else if (group === 1 && !reserved.has(name)) group = 2;
      groups[group]!.add(name);
    }
  }
  const columns = [...groups[0], ...groups[1], ...groups[2]];
  return built.map((row) => Object.fromEntries(columns.map((name) => [name, row[name] ?? null])));
}

/** Every column of `rows`, in first-seen order. */
export function columnsOf(rows: ResultRow[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row)) columns.add(name);
  return [...columns];
}
