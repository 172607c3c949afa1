/**
 * Scans with their progress, read from the counts that triggers keep (schema migration 4): the
 * cost grows with the number of scans and running tasks, never with the number of tasks.
 */
import {
  BottleError,
  type ListScansResponse,
  type ScanActivity,
  type ScanInfo,
  type StateCounts,
} from '@bottle/protocol';
import type { SqlContext } from './_context.js';
import { emptyCounts, type ScanRow } from './queries.js';

/** The rate window: the current minute and the four before it. */
const RECENT_MINUTES = 5;

interface CountRow {
  scan: string;
  state: keyof StateCounts;
  n: number;
}

interface RecentRow {
  scan: string;
  done: number;
  failed: number;
}

interface RunningRow {
  scan: string;
  key: string;
  started_at: number;
  worker_id: string | null;
}

/** Reads the scans named (all when `name` is undefined), in creation order. */
function readScans(ctx: SqlContext, now: number, name: string | undefined): ScanInfo[] {
  const one = name !== undefined;
  const filter = one ? 'WHERE scan = ?' : '';
  const args = one ? [name] : [];
  const scans = ctx
    .stmt(
      `SELECT name, created_at, lost_attempts FROM scans ${one ? 'WHERE name = ?' : ''} ORDER BY created_at, name`,
    )
    .all(...args) as ScanRow[];
  const since = Math.floor(now / 60_000) - (RECENT_MINUTES - 1);
  const counts = ctx.stmt(`SELECT scan, state, n FROM scan_counts ${filter}`).all(...args) as CountRow[];
  const recent = ctx
    .stmt(
      // Through scans, so that each scan reads only its last minutes by primary key.
      `SELECT m.scan, sum(m.done) AS done, sum(m.failed) AS failed
       FROM scans s CROSS JOIN scan_minutes m ON m.scan = s.name AND m.minute >= ?
       ${one ? 'WHERE s.name = ?' : ''} GROUP BY m.scan`,
    )
    .all(since, ...args) as RecentRow[];
  // Running tasks are as many as the workers' slots: reading them all stays cheap.
  const running = ctx
    .stmt(
      // The planner would otherwise walk all of (scan, state, seq) to group by scan.
      `SELECT scan, key, min(started_at) AS started_at, worker_id FROM tasks INDEXED BY tasks_leased
       WHERE state = 'running' ${one ? 'AND scan = ?' : ''} GROUP BY scan`,
    )
    .all(...args) as RunningRow[];
  const byScan = new Map(
    scans.map((row) => [
      row.name,
      {
        name: row.name,
        createdAt: row.created_at,
        total: 0,
        counts: emptyCounts(),
        lostAttempts: row.lost_attempts,
        recent: { done: 0, failed: 0, windowMs: Math.max(1, now - since * 60_000), at: now },
        oldestRunning: null,
      } as ScanInfo,
    ]),
  );
  for (const row of counts) {
    const info = byScan.get(row.scan);
    if (!info) continue;
    info.counts[row.state] = row.n;
    info.total += row.n;
  }
  for (const row of recent) {
    const info = byScan.get(row.scan);
    if (info?.recent) Object.assign(info.recent, { done: row.done, failed: row.failed });
  }
  for (const row of running) {
    const info = byScan.get(row.scan);
    if (info) info.oldestRunning = { key: row.key, startedAt: row.started_at, workerId: row.worker_id };
  }
  return [...byScan.values()];
}

export function listScans(ctx: SqlContext, now: number): ListScansResponse {
  return { scans: readScans(ctx, now, undefined) };
}

export function getScan(ctx: SqlContext, name: string, now: number): ScanInfo {
  const [scan] = readScans(ctx, now, name);
  if (!scan) {
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
  }
  return scan;
}

/** The scan's finishes per minute (the last `maxMinutes`) and its histogram of durations. */
export function scanActivity(ctx: SqlContext, name: string, maxMinutes = 24 * 60): ScanActivity {
  if (!ctx.stmt('SELECT 1 FROM scans WHERE name = ?').get(name)) {
    throw new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
  }
  const minutes = ctx
    .stmt('SELECT minute, done, failed FROM scan_minutes WHERE scan = ? ORDER BY minute DESC LIMIT ?')
    .all(name, maxMinutes) as ScanActivity['minutes'];
  const durations = ctx
    .stmt('SELECT bucket, n FROM scan_durations WHERE scan = ? ORDER BY bucket')
    .all(name) as ScanActivity['durations'];
  return { name, minutes: minutes.reverse(), durations };
}
