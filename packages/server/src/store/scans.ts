/**
 * Scans with their progress, assembled from the rows every store keeps by trigger (counts by state,
 * finishes by minute) and its running tasks: the cost grows with the number of scans and running
 * tasks, never with the number of tasks.
 */
import { type ScanInfo, type StateCounts, taskStates } from '@bottle/protocol';
import { objectiveOfText } from './scan-settings.js';

/** The rate window: the current minute and the four before it. */
export const RECENT_MINUTES = 5;

export interface ScanRow {
  name: string;
  created_at: number;
  lost_attempts: number;
  reduce_task: string | null;
  objective: string | null;
}

export interface CountRow {
  scan: string;
  state: keyof StateCounts;
  n: number;
}

export interface RecentRow {
  scan: string;
  done: number;
  failed: number;
}

/** The longest-running task of a scan. */
export interface RunningRow {
  scan: string;
  key: string;
  started_at: number;
  worker_id: string | null;
}

export function emptyCounts(): StateCounts {
  return Object.fromEntries(taskStates.map((state) => [state, 0])) as StateCounts;
}

/** The first minute (epoch ms / 60000) of the rate window at `now`. */
export function recentSince(now: number): number {
  return Math.floor(now / 60_000) - (RECENT_MINUTES - 1);
}

/** The scans in the order given, each with its counts, recent rate and oldest running task. */
export function assembleScans(
  scans: readonly ScanRow[],
  rows: { counts: readonly CountRow[]; recent: readonly RecentRow[]; running: readonly RunningRow[] },
  now: number,
): ScanInfo[] {
  const since = recentSince(now);
  const byScan = new Map(
    scans.map((row) => {
      const objective = objectiveOfText(row.objective);
      return [
        row.name,
        {
          name: row.name,
          createdAt: row.created_at,
          total: 0,
          counts: emptyCounts(),
          lostAttempts: row.lost_attempts,
          recent: { done: 0, failed: 0, windowMs: Math.max(1, now - since * 60_000), at: now },
          oldestRunning: null,
          ...(row.reduce_task ? { reduce: row.reduce_task } : {}),
          ...(objective ? { objective } : {}),
        } as ScanInfo,
      ];
    }),
  );
  for (const row of rows.counts) {
    const info = byScan.get(row.scan);
    if (!info) continue;
    info.counts[row.state] = row.n;
    info.total += row.n;
  }
  for (const row of rows.recent) {
    const info = byScan.get(row.scan);
    if (info?.recent) Object.assign(info.recent, { done: row.done, failed: row.failed });
  }
  for (const row of rows.running) {
    const info = byScan.get(row.scan);
    if (info) info.oldestRunning = { key: row.key, startedAt: row.started_at, workerId: row.worker_id };
  }
  return [...byScan.values()];
}
