/**
 * Scans without code from the command line: `--grid`/`--zip`, or a JSON-lines file of parameter
 * sets. Each becomes a scan like a module's, ready to submit (sweep files are `loadScan`'s).
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BottleError,
  gridSweepParams,
  type Params,
  paramsSchema,
  scanNameSchema,
  type TaskSpec,
} from '@bottle/protocol';
import { type LoadedScan, sweepScan } from '@bottle/worker/task';

/** `bottle post TASK --grid ... --zip ...`. */
export function gridScan(
  task: string,
  grids: string[],
  zips: string[],
  scan: string | undefined,
): LoadedScan {
  return sweepScan({ task, scan: scanName(task, scan), params: gridSweepParams(grids, zips) });
}

/** `bottle post TASK --jsonl FILE`: one parameter object per line; blank lines are skipped. */
export function jsonLinesScan(task: string, file: string, cwd: string, scan: string | undefined): LoadedScan {
  const path = resolve(cwd, file);
  const name = scanName(task, scan);
  async function* specs(): AsyncGenerator<TaskSpec> {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        throw new BottleError('ERR_BAD_PARAM_SET', `${file}:${n}: not JSON: ${(cause as Error).message}`, {
          cause,
        });
      }
      const params = paramsSchema.safeParse(value);
      if (!params.success || Array.isArray(value)) {
        throw new BottleError(
          'ERR_BAD_PARAM_SET',
          `${file}:${n}: each line must be one JSON object of parameters`,
        );
      }
      yield { task, params: params.data as Params, scan: name };
    }
  }
  return { name, task, specs: specs() };
}

function scanName(task: string, scan: string | undefined): string {
  if (scan !== undefined) {
    const parsed = scanNameSchema.safeParse(scan);
    if (!parsed.success)
      throw new BottleError('ERR_USAGE', `--scan ${scan}: scan names use letters, digits and _ . - : @ +`);
    return scan;
  }
  return scanNameSchema.safeParse(task).success ? task : 'sweep';
}
