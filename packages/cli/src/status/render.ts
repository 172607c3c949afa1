/** One scan's progress as text: a bar by state, counts, rate, ETA and the oldest running task. */
import { type ScanInfo, scanEnded } from '@bottle/protocol';

/** What each state means, for `bottle status --help` (docs/glossary.md says the same). */
export const stateHelp = [
  'States:',
  '  queued     waiting for a worker (or for its retry backoff to end)',
  '  running    leased to a worker, which is working on it',
  '  done       finished successfully: the only state counted as progress',
  '  failed     failed for good: its attempts ran out, or it failed with a non-retryable error',
  '  cancelled  stopped by an operator (bottle cancel); bottle rerun queues it again',
  '  delivered  handed to a legacy worker (GET /task), which never reports back',
  'Bar: # done, x failed or cancelled, > running, . queued. The rate counts tasks finished (done',
  'or failed) over the last 5 minutes; the ETA divides the queued and running tasks by it.',
].join('\n');

export interface RenderOptions {
  /** ANSI colours (a terminal without NO_COLOR). */
  color: boolean;
}

const BAR = 24;

function paint(color: boolean, code: number, text: string): string {
  return color && text ? `\x1b[${code}m${text}\x1b[39m` : text;
}

/** `3m05s`, `2h10m`, `45s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Tasks finished per second over the recent window (shorter for a scan younger than it), or null. */
export function scanRate(scan: ScanInfo): number | null {
  if (!scan.recent) return null;
  const window = Math.min(scan.recent.windowMs, Math.max(1_000, scan.recent.at - scan.createdAt));
  return (scan.recent.done + scan.recent.failed) / (window / 1000);
}

function bar(scan: ScanInfo, color: boolean): string {
  const { counts, total } = scan;
  if (total === 0) return '.'.repeat(BAR);
  // Largest remainders, so that the cells always add up to BAR and a nonzero count shows.
  const parts = [
    { n: counts.done + counts.delivered, ch: '#', code: 32 },
    { n: counts.failed + counts.cancelled, ch: 'x', code: 31 },
    { n: counts.running, ch: '>', code: 33 },
    { n: counts.queued, ch: '.', code: 39 },
  ].map((part) => ({ ...part, cells: Math.floor((part.n * BAR) / total), rest: (part.n * BAR) % total }));
  let left = BAR - parts.reduce((sum, part) => sum + part.cells, 0);
  for (const part of [...parts].sort((a, b) => b.rest - a.rest)) {
    if (left === 0) break;
    if (part.rest > 0) {
      part.cells++;
      left--;
    }
  }
  return parts.map((part) => paint(color, part.code, part.ch.repeat(part.cells))).join('');
}

export function renderScan(scan: ScanInfo, options: RenderOptions): string {
  const { counts, total } = scan;
  const percent = total === 0 ? 100 : Math.floor((100 * counts.done) / total);
  const fields = [
    `${scan.name}`,
    `[${bar(scan, options.color)}]`,
    `${String(percent).padStart(3)}% done`,
    `${counts.done}/${total}`,
    `failed ${paint(options.color && counts.failed > 0, 31, String(counts.failed))}`,
    `running ${counts.running}`,
    `queued ${counts.queued}`,
  ];
  if (counts.cancelled > 0) fields.push(`cancelled ${counts.cancelled}`);
  if (counts.delivered > 0) fields.push(`delivered ${counts.delivered}`);
  if (scan.lostAttempts > 0) fields.push(`lost ${scan.lostAttempts}`);
  const rate = scanRate(scan);
  if (scanEnded(scan)) fields.push('finished');
  else if (rate !== null) {
    fields.push(rate >= 10 ? `${rate.toFixed(0)}/s` : `${(rate * 60).toFixed(1)}/min`);
    fields.push(
      rate > 0 ? `ETA ${formatDuration(((counts.queued + counts.running) / rate) * 1000)}` : 'ETA ?',
    );
  }
  if (scan.oldestRunning && scan.recent) {
    const age = formatDuration(scan.recent.at - scan.oldestRunning.startedAt);
    fields.push(`oldest running ${age} (${scan.oldestRunning.key.slice(0, 12)})`);
  }
  return fields.join('  ');
}
