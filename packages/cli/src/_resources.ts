/** `--resources`, `--labels` and `--needs` as the libraries take them; ERR_BAD_RESOURCES is a usage error here. */
import { isBottleError, parseLabels, parseResources, type Resources } from '@bottle/protocol';
import { UsageError } from './_exit.js';

function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isBottleError(error, 'ERR_BAD_RESOURCES')) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * GPUs named by CUDA_VISIBLE_DEVICES (`0,1`), when it is set: the devices this process may use. An
 * empty value or `-1` hides them all.
 */
export function cudaGpus(env: Record<string, string | undefined>): number | undefined {
  const devices = env['CUDA_VISIBLE_DEVICES'];
  if (devices === undefined) return undefined;
  const listed = devices.split(',').map((device) => device.trim());
  const visible = listed.findIndex((device) => device === '' || device.startsWith('-'));
  return visible < 0 ? listed.length : visible;
}

/** The worker's `resources` and `labels` options: what the flags say, gpus from CUDA_VISIBLE_DEVICES. */
export function workerResources(
  argv: { resources?: string[] | undefined; labels?: string[] | undefined },
  env: Record<string, string | undefined>,
): { resources?: Resources; labels?: string[] } {
  const given = argv.resources ? asUsage(() => parseResources(argv.resources, '--resources')) : {};
  const gpus = cudaGpus(env);
  const resources = given.gpus === undefined && gpus !== undefined ? { ...given, gpus } : given;
  return {
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(argv.labels ? { labels: asUsage(() => parseLabels(argv.labels, '--labels')) } : {}),
  };
}

/** `bottle post`'s `--resources` and `--needs`: what each task asks when it says nothing itself. */
export function taskNeeds(argv: { resources?: string[] | undefined; needs?: string[] | undefined }): {
  resources?: Resources;
  needs?: string[];
} {
  return {
    ...(argv.resources ? { resources: asUsage(() => parseResources(argv.resources, '--resources')) } : {}),
    ...(argv.needs ? { needs: asUsage(() => parseLabels(argv.needs, '--needs')) } : {}),
  };
}

const GIB = 1024 ** 3;

/** Amounts for a table: `gpus=2 memory=16GiB cuda12` (memory in GiB, labels last). */
export function formatNeeds(resources: Resources | undefined, labels: readonly string[] | undefined): string {
  const amounts = Object.entries(resources ?? {}).map(([name, amount]) =>
    name === 'memory' && amount >= GIB / 10
      ? `memory=${Number((amount / GIB).toFixed(1))}GiB`
      : `${name}=${amount}`,
  );
  return [...amounts, ...(labels ?? [])].join(' ');
}
