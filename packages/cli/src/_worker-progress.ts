import type { ScanInfo } from '@bottle/protocol';
import type { Worker } from '@bottle/worker';
import type { CliContext } from './_context.js';

/** How often the line is redrawn on a terminal, printed elsewhere, and how fresh the scans' counts are. */
export const workerProgressDefaults = { ttyEveryMs: 1_000, plainEveryMs: 10_000, scansEveryMs: 3_000 };

const RATE_WINDOW_MS = 60_000;

/**
 * The worker's progress on stderr: one line redrawn in place on a terminal, a plain line every
 * 10 s otherwise. Counts are tasks (a task retried here and done counts once, as done). What is
 * left comes from the server's counts of the scans this worker works on, not only its own.
 */
export function workerProgress(worker: Worker, context: CliContext, program: string) {
  // TERM=dumb (bottle launch gives its remote workers one) wants plain lines, not a redrawn one.
  const tty = context.isTTY && context.env.TERM !== 'dumb';
  const color = tty && context.env.NO_COLOR === undefined;
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const finishedAt: number[] = [];
  const failed = new Set<string>();
  const scans = new Set<string>();
  let done = 0;
  let running = 0;
  /** What the server counted left at `scansAt`, and how many this worker finished since. */
  let left: number | undefined;
  let finishedSincePoll = 0;
  let firstStart: number | undefined;
  let scansAt = 0;
  let polling = false;
  let shown = false;

  worker.on('tasks.claimed', (tasks) => {
    for (const task of tasks) scans.add(task.scan);
  });
  worker.on('task.started', () => {
    running++;
    firstStart ??= Date.now();
  });
  worker.on('task.done', (task) => {
    running--;
    done++;
    failed.delete(task.key);
    finishedAt.push(Date.now());
    finishedSincePoll++;
  });
  worker.on('task.failed', (task, _error, info) => {
    running--;
    if (info.final !== false) failed.add(task.key);
    finishedAt.push(Date.now());
    if (info.final !== false) finishedSincePoll++;
  });
  worker.on('task.stopped', () => running--);

  const pollScans = () => {
    if (polling || scans.size === 0 || Date.now() - scansAt < workerProgressDefaults.scansEveryMs) return;
    polling = true;
    scansAt = Date.now();
    const finishedBefore = finishedSincePoll;
    worker.client
      .listScans()
      .then(({ scans: all }) => {
        finishedSincePoll -= finishedBefore;
        left = all.filter((scan) => scans.has(scan.name)).reduce((sum, scan) => sum + leftIn(scan), 0);
      })
      // The counts are a nicety: the claims report a server that is down.
      .catch(() => {})
      .finally(() => {
        polling = false;
      });
  };

  const line = () => {
    const now = Date.now();
    while (finishedAt.length > 0 && (finishedAt[0] as number) < now - RATE_WINDOW_MS) finishedAt.shift();
    // Over the last minute, or since the first task started when that is more recent.
    const windowMs = Math.min(RATE_WINDOW_MS, now - (firstStart ?? now));
    const perSecond = windowMs >= 1_000 ? finishedAt.length / (windowMs / 1000) : 0;
    const parts = [
      `${paint(32, `${done} done`)}, ${failed.size > 0 ? paint(31, `${failed.size} failed`) : '0 failed'}, ${Math.max(running, 0)} running`,
    ];
    if (windowMs >= 1_000) parts.push(`${formatRate(perSecond)} over the last minute`);
    if (left !== undefined) {
      const now = Math.max(left - finishedSincePoll, 0);
      parts.push(`${now} left in ${scans.size === 1 ? 'its scan' : `its ${scans.size} scans`}`);
      if (now > 0 && perSecond > 0) parts.push(`ETA ${formatDuration(now / perSecond)}`);
    }
    return `${program}: ${parts.join(' | ')}`;
  };

  const draw = () => {
    pollScans();
    const text = line();
    if (tty) {
      context.stderr(`\r\x1b[2K${text}`);
      shown = true;
    } else context.stderr(`${text}\n`);
  };

  const timer = setInterval(
    draw,
    tty ? workerProgressDefaults.ttyEveryMs : workerProgressDefaults.plainEveryMs,
  );
  timer.unref();
  if (tty) pollScans();

  /** Other lines go above the live one: clear it, write, and let the next tick draw it again. */
  const clearLine = () => {
    if (shown) context.stderr('\r\x1b[2K');
    shown = false;
  };
  return {
    /** A context whose stderr writes above the live line. */
    context: {
      ...context,
      stderr: (text: string) => {
        clearLine();
        context.stderr(text);
      },
    } as CliContext,
    /** Tasks whose last attempt here failed for good. */
    get failedTasks(): number {
      return failed.size;
    },
    stop() {
      clearInterval(timer);
      clearLine();
    },
  };
}

/** Tasks of a scan still to run: queued, or running somewhere. */
function leftIn(scan: ScanInfo): number {
  return (scan.counts.queued ?? 0) + (scan.counts.running ?? 0);
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${(perSecond * 60).toFixed(1)}/min`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
