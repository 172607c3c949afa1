import { type ScanInfo, scanEnded } from '@bottle/protocol';
import { clientFor, orNotFound } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes } from '../_exit.js';
import { onStopSignals } from '../_signals.js';
import type { StatusArgs } from '../commands/status.js';
import { renderScan } from '../status/render.js';

export async function runStatus(argv: StatusArgs, context: CliContext): Promise<number> {
  await using client = clientFor(argv, context);
  const read = async () =>
    argv.scan
      ? [await orNotFound(client.getScan(argv.scan), `scan is named '${argv.scan}'`, 'bottle status')]
      : (await client.listScans()).scans;
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
    write(scans: ScanInfo[]) {
      const lines =
        scans.length === 0
          ? ['no scans yet: submit one with bottle post module.scan']
          : scans.map((scan) => fit(scan, context.columns, tty, color));
      const redraw = tty && previous > 0 ? `\x1b[${previous}A` : '';
      context.stdout(redraw + lines.map((line) => (tty ? `\x1b[2K${line}\n` : `${line}\n`)).join(''));
      previous = lines.length;
    },
  };
}

/** On a terminal a line must not wrap, or redrawing in place would climb too few lines. */
function fit(scan: ScanInfo, columns: number, tty: boolean, color: boolean): string {
  const plain = renderScan(scan, { color: false });
  if (!tty) return plain;
  if (plain.length >= columns) return plain.slice(0, Math.max(1, columns - 1));
  return color ? renderScan(scan, { color: true }) : plain;
}
