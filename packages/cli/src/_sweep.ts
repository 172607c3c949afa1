/**
 * Sweeps without code: a sweep file (YAML/JSON, see docs/sweeps.md), `--grid`/`--zip` on the command
 * line, or a JSON-lines file of parameter sets. Each becomes a scan like a module's, ready to submit.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BottleError,
  gridSweepParams,
  type Params,
  paramsSchema,
  type Sweep,
  scanNameSchema,
  sweepFromSpec,
  type TaskSpec,
} from '@bottle/protocol';
import type { LoadedScan } from '@bottle/worker/task';
import { parse as parseYaml } from 'yaml';

const SWEEP_FILE = /\.(ya?ml|json)$/i;

/** True when `spec` names a sweep file rather than a module's scan (`module.export`). */
export function isSweepFile(spec: string): boolean {
  return SWEEP_FILE.test(spec);
}

/** Reads a sweep file (YAML or JSON) relative to `cwd`. */
export function loadSweepFile(file: string, cwd: string): LoadedScan {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new BottleError(
      'ERR_BAD_PARAM_SET',
      `cannot read the sweep file ${file}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new BottleError('ERR_BAD_PARAM_SET', `${file}: not valid YAML/JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return sweepScan(sweepFromSpec(data, file));
}

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

function sweepScan(sweep: Sweep): LoadedScan {
  const extra = {
    ...(sweep.maxAttempts === undefined ? {} : { maxAttempts: sweep.maxAttempts }),
    ...(sweep.timeoutMs === undefined ? {} : { timeoutMs: sweep.timeoutMs }),
  };
  const { task, scan, params } = sweep;
  function* specs(): Generator<TaskSpec> {
    for (const p of params) yield { task, params: p as Params, scan, ...extra };
  }
  return { name: scan, task, size: params.size, specs: specs() };
}

function scanName(task: string, scan: string | undefined): string {
  if (scan !== undefined) {
    const parsed = scanNameSchema.safeParse(scan);
    if (!parsed.success)
      throw new BottleError('ERR_USAGE', `--name ${scan}: scan names use letters, digits and _ . - : @ +`);
    return scan;
  }
  return scanNameSchema.safeParse(task).success ? task : 'sweep';
}
