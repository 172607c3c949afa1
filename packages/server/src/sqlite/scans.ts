/**
 * Scans with their progress, read from the counts that triggers keep (schema migration 4) and
 * assembled by store/scans.ts.
 */
import type { ListScansResponse, ScanActivity, ScanInfo } from '@bottle/protocol';
import { scanNotFound } from '../store/messages.js';
import {
  assembleScans,
  type CountRow,
  type RecentRow,
  type RunningRow,
  recentSince,
  type ScanRow,
} from '../store/scans.js';
import type { SqlContext } from './_context.js';

/** Reads the scans named (all when `name` is undefined), in creation order. */
function readScans(ctx: SqlContext, now: number, name: string | undefined): ScanInfo[] {
  const one = name !== undefined;
  const args = one ? [name] : [];
  const scans = ctx
    .stmt(
      `SELECT name, created_at, lost_attempts, reduce_task, objective FROM scans ${one ? 'WHERE name = ?' : ''} ORDER BY created_at, name`,
    )
    .all(...args) as ScanRow[];
  const counts = ctx
    .stmt(`SELECT scan, state, n FROM scan_counts ${one ? 'WHERE scan = ?' : ''}`)
    .all(...args) as CountRow[];
  const recent = ctx
    .stmt(
      // Through scans, so that each scan reads only its last minutes by primary key.
      `SELECT m.scan, sum(m.done) AS done, sum(m.failed) AS failed
       FROM scans s CROSS JOIN scan_minutes m ON m.scan = s.name AND m.minute >= ?
       ${one ? 'WHERE s.name = ?' : ''} GROUP BY m.scan`,
    )
    .all(recentSince(now), ...args) as RecentRow[];
  // Running tasks are as many as the workers' slots: reading them all stays cheap.
  const running = ctx
    .stmt(
      // The planner would otherwise walk all of (scan, state, seq) to group by scan.
      `SELECT scan, key, min(started_at) AS started_at, worker_id FROM tasks INDEXED BY tasks_leased
       WHERE state = 'running' ${one ? 'AND scan = ?' : ''} GROUP BY scan`,
    )
    .all(...args) as RunningRow[];
  return assembleScans(scans, { counts, recent, running }, now);
}

export function listScans(ctx: SqlContext, now: number): ListScansResponse {
  return { scans: readScans(ctx, now, undefined) };
}

export function getScan(ctx: SqlContext, name: string, now: number): ScanInfo {
  const [scan] = readScans(ctx, now, name);
  if (!scan) throw scanNotFound(name);
  return scan;
}

/** The scan's finishes per minute (the last `maxMinutes`) and its histogram of durations. */
export function scanActivity(ctx: SqlContext, name: string, maxMinutes = 24 * 60): ScanActivity {
  if (!ctx.stmt('SELECT 1 FROM scans WHERE name = ?').get(name)) throw scanNotFound(name);
  const minutes = ctx
    .stmt('SELECT minute, done, failed FROM scan_minutes WHERE scan = ? ORDER BY minute DESC LIMIT ?')
    .all(name, maxMinutes) as ScanActivity['minutes'];
  const durations = ctx
    .stmt('SELECT bucket, n FROM scan_durations WHERE scan = ? ORDER BY bucket')
    .all(name) as ScanActivity['durations'];
  return { name, minutes: minutes.reverse(), durations };
}
