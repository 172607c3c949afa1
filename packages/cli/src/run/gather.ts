import { resolve } from 'node:path';
import { gatherOutputs } from '@bottle/worker/gather';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { progressLine } from '../_progress.js';
import type { GatherArgs } from '../commands/gather.js';

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export async function runGather(argv: GatherArgs, context: CliContext): Promise<number> {
  await using client = clientFor({ ...argv, server: argv.url ?? argv.server }, context);
  const to = resolve(context.cwd, argv.to);
  const progress = progressLine(context);
  try {
    const result = await gatherOutputs(client, {
      to,
      scan: argv.scan,
      onProgress: (p) =>
        progress.update(
          `gather: ${p.fetchedFiles}/${p.toFetchFiles} files, ${formatBytes(p.fetchedBytes)}/${formatBytes(p.toFetchBytes)} fetched; ${p.upToDateFiles} files up to date`,
          p.fetchedFiles === p.toFetchFiles,
        ),
    });
    progress.done();
    context.stdout(
      `gathered ${result.outputs} outputs into ${argv.to}: fetched ${result.fetchedFiles} files ` +
        `(${result.fetchedBytes} bytes), ${result.upToDateFiles} files up to date\n`,
    );
  } finally {
    progress.done();
  }
  return 0;
}
