import { type ScanInfo, scanEnded } from '@bottle/protocol';
import type { BottleClient } from '@bottle/worker';
import { bestTasks, type Objective } from '@bottle/worker/search';
import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes } from '../_exit.js';
import { objectiveOf } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import type { StatusArgs } from '../commands/status.js';
import { renderScan } from '../status/render.js';

export async function runStatus(argv: StatusArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  // The flags rank every scan shown; without them, a scan that records an objective (a search's) is
  // ranked by its own.
  const flagged = objectiveOf(argv);
  const read = async (): Promise<ShownScan[]> => {
    const scans = argv.scan
      ? [await orNotFound(client.getScan(argv.scan), `scan is named '${argv.scan}'`, 'bottle status')]
      : (await client.listScans()).scans;
    return Promise.all(
      scans.map(async (scan) => {
        const objective = flagged ?? scan.objective;
        return objective ? { ...scan, best: await bestOf(client, scan.name, objective) } : scan;
      }),
    );
  };
  const tty = context.stdoutIsTTY ?? false;
  const view = frameWriter(context, tty);
  if (!argv.watch) {
    const scans = await read();
    if (argv.json) context.stdout(`${JSON.stringify({ scans })}\n`);
    else view.write(scans);
    return exitCodes.ok;
  }
  const intervalMs = Math.max(0.1, argv.interval ?? (tty ? 2 : 10)) * 1000;
  let stopped = false;
  let wake = () => {};
  const removeSignals = onStopSignals(
    () => {
      stopped = true;
      wake();
    },
    () => {
      stopped = true;
      wake();
    },
  );
  try {
    for (;;) {
      const scans = await read();
      if (argv.json) context.stdout(`${JSON.stringify({ scans })}\n`);
      else view.write(scans);
      if (scans.every(scanEnded)) {
        return scans.some((scan) => scan.counts.failed > 0) ? exitCodes.failure : exitCodes.ok;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) return exitCodes.interrupted;
    }
  } finally {
    removeSignals();
  }
}

/** Writes frames: in place on a terminal (the previous frame is redrawn), appended otherwise. */
function frameWriter(context: CliContext, tty: boolean) {
  const color = tty && context.env.NO_COLOR === undefined;
  let previous = 0;
  return {
    write(scans: ShownScan[]) {
      const lines =
        scans.length === 0
          ? ['no scans yet: submit one with bottle post module.scan']
          : scans.flatMap((scan) => [
              fit(scan, context.columns, tty, color),
              ...(scan.best === undefined ? [] : [cut(bestLine(scan.best), context.columns, tty)]),
            ]);
      const redraw = tty && previous > 0 ? `\x1b[${previous}A` : '';
      context.stdout(redraw + lines.map((line) => (tty ? `\x1b[2K${line}\n` : `${line}\n`)).join(''));
      previous = lines.length;
    },
  };
}

/** A scan as shown, with its best done task when it has an objective (null: none done with a value). */
type ShownScan = ScanInfo & { best?: Best | null };

interface Best {
  field: string;
  value: number;
  params: Record<string, unknown>;
  key: string;
  paramsHash: string;
}

async function bestOf(client: BottleClient, scan: string, objective: Objective): Promise<Best | null> {
  const done = [];
  for await (const task of client.iterateTasks({ scan, state: 'done', limit: 1000 })) done.push(task);
  const [top] = bestTasks(done, objective, 1);
  if (!top) return null;
  const field = 'minimize' in objective ? objective.minimize : objective.maximize;
  const { params, key, paramsHash } = top.task;
  return { field, value: top.value, params, key, paramsHash };
}

function bestLine(best: Best | null): string {
  if (best === null) return '  best: no done task has that field yet';
  return `  best ${best.field} ${best.value} at ${JSON.stringify(best.params)} (task ${best.key.slice(0, 12)}, output ${best.paramsHash.slice(0, 12)})`;
}

function cut(line: string, columns: number, tty: boolean): string {
  return tty && line.length >= columns ? line.slice(0, Math.max(1, columns - 1)) : line;
}

/** On a terminal a line must not wrap, or redrawing in place would climb too few lines. */
function fit(scan: ScanInfo, columns: number, tty: boolean, color: boolean): string {
  const plain = renderScan(scan, { color: false });
  if (!tty) return plain;
  if (plain.length >= columns) return plain.slice(0, Math.max(1, columns - 1));
  return color ? renderScan(scan, { color: true }) : plain;
}
