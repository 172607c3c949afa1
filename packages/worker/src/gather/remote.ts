/**
 * The gather building blocks wired to a server: `gatherOutputs` mirrors the server's gathered outputs
 * into a local folder (what `bottle gather` runs), `serverResultRows` builds the results table from the
 * server's task list (what `bottle results` runs). Both take any client with the methods below, which
 * `BottleClient` has.
 */
import type { Readable } from 'node:stream';
import {
  isBottleError,
  type JsonValue,
  type ListOutputsResponse,
  type ListTasksQuery,
  type OutputFilesResponse,
  type TaskInfo,
} from '@bottle/protocol';
import { type ResultRow, resultRows } from './results.js';
import { type RemoteOutput, type SyncProgress, syncOutputs } from './sync.js';

/** What gathering needs of a client (`BottleClient` has it all). */
export interface OutputsClient {
  listOutputs(query?: { scan?: string }): Promise<ListOutputsResponse>;
  listOutputFiles(paramsHash: string): Promise<OutputFilesResponse>;
  openOutputFile(paramsHash: string, path: string): Promise<Readable>;
}

export interface GatherOutputsOptions {
  /** Local folder; each task lands in `<to>/<paramsHash>/`. */
  to: string;
  /** Only the outputs of this scan's tasks. */
  scan?: string | undefined;
  /** Called after the comparison and after each file fetched. */
  onProgress?: ((progress: SyncProgress) => void) | undefined;
  /** Downloads (and listings) at once. Default 4. */
  concurrency?: number;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of the results. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, run));
  return results;
}

/**
 * Fetches the server's gathered outputs that are missing or changed in `to`; returns the counts
 * (`fetchedFiles` is 0 on a second run over an unchanged server).
 */
export async function gatherOutputs(
  client: OutputsClient,
  options: GatherOutputsOptions,
): Promise<SyncProgress & { outputs: number }> {
  const concurrency = options.concurrency ?? 4;
  let outputs = 0;
  const listRemote = async (): Promise<RemoteOutput[]> => {
    const { outputs: hashes } = await client.listOutputs(options.scan ? { scan: options.scan } : {});
    const listed = await mapLimit(hashes, concurrency, async (paramsHash) => {
      try {
        return await client.listOutputFiles(paramsHash);
      } catch (error) {
        // Replaced by a rerun's upload between the two requests: the next gather picks it up.
        if (isBottleError(error, 'ERR_NOT_FOUND')) return undefined;
        throw error;
      }
    });
    const found = listed.filter((output): output is OutputFilesResponse => output !== undefined);
    outputs = found.length;
    return found;
  };
  const progress = await syncOutputs({
    to: options.to,
    listRemote,
    fetchFile: (paramsHash, path) => client.openOutputFile(paramsHash, path),
    concurrency,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { ...progress, outputs };
}

/** What `serverResultRows` needs of a client. */
export interface ResultsClient {
  iterateTasks(query?: Omit<ListTasksQuery, 'cursor'>): AsyncIterable<TaskInfo>;
  listOutputs?(query?: { scan?: string }): Promise<ListOutputsResponse>;
  openOutputFile?(paramsHash: string, path: string): Promise<Readable>;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One row per task of the server (or of one scan), in submission order. A task whose run returned
 * nothing gets the fields of the `result.json` in its gathered output, when the server gathers.
 */
export async function serverResultRows(
  client: ResultsClient,
  options: { scan?: string | undefined } = {},
): Promise<ResultRow[]> {
  const tasks: TaskInfo[] = [];
  for await (const task of client.iterateTasks(
    options.scan ? { scan: options.scan, limit: 1000 } : { limit: 1000 },
  ))
    tasks.push(task);
  let gathered = new Set<string>();
  if (client.listOutputs && client.openOutputFile && tasks.some((task) => task.result === null)) {
    try {
      gathered = new Set((await client.listOutputs(options.scan ? { scan: options.scan } : {})).outputs);
    } catch (error) {
      // A server without --gather: results come from the completions alone.
      if (!isBottleError(error, 'ERR_NOT_FOUND')) throw error;
    }
  }
  const open = client.openOutputFile?.bind(client);
  return resultRows(tasks, {
    readResultJson: async (task) => {
      if (!open || !gathered.has(task.paramsHash)) return undefined;
      try {
        return JSON.parse(await readAll(await open(task.paramsHash, 'result.json'))) as JsonValue;
      } catch (error) {
        if (isBottleError(error, 'ERR_NOT_FOUND') || error instanceof SyntaxError) return undefined;
        throw error;
      }
    },
  });
}
