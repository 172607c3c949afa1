import { resolve } from 'node:path';
import { gatherOutputs } from '@bottle/worker';
import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { withServerOptions } from '../_options.js';
import { progressLine } from '../_progress.js';

export const gatherCommand = {
  command: 'gather [url]',
  describe:
    "Download the server's gathered outputs (bottle-server --gather): only what is missing or changed",
  builder: <T>(yargs: Argv<T>) =>
    withServerOptions(yargs)
      .positional('url', { type: 'string', description: 'Server URL (instead of --server)' })
      .option('to', {
        type: 'string',
        default: 'results',
        description: 'Local folder; each task lands in <to>/<paramsHash>/',
      })
      .option('scan', { type: 'string', description: "Only this scan's outputs" })
      .example('$0 gather http://host:1988 --to ./results', 'copy every gathered output here')
      .example('$0 gather --scan sweep1 --to ./sweep1', 'one scan; a second run fetches nothing new'),
};

type GatherArgs = Awaited<ReturnType<ReturnType<typeof gatherCommand.builder>['parseAsync']>>;

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
