/**
 * The bodies webhooks POST, one JSON object per event (documented in docs/notify.md). `id` is the
 * same on every retry of one delivery, so that a receiver can drop a repeat.
 */
import { randomUUID } from 'node:crypto';
import type { StateCounts, TaskInfo } from '@bottle/protocol';
import type { ServerEvent } from '../events/types.js';

export type NotifyEvent =
  | {
      type: 'scan.ended';
      id: string;
      /** Epoch ms at which the server saw it. */
      at: number;
      scan: { name: string; total: number; counts: StateCounts };
    }
  | {
      type: 'task.failed';
      id: string;
      at: number;
      task: {
        key: string;
        task: string;
        scan: string;
        params: TaskInfo['params'];
        attempts: number;
        error: string | null;
        workerId: string | null;
      };
    };

/** The id is the same for one end whichever server tells it: the scan and its completion digest. */
export function scanEndedEvent(
  event: Extract<ServerEvent, { type: 'scan.finished' }>,
  completion: string,
  at: number,
): NotifyEvent {
  return {
    type: 'scan.ended',
    id: `${event.scan}:${completion}`,
    at,
    scan: { name: event.scan, total: event.total, counts: event.counts },
  };
}

export function taskFailedEvent(task: TaskInfo, workerId: string | null, at: number): NotifyEvent {
  const { key, task: name, scan, params, attempts, error } = task;
  return {
    type: 'task.failed',
    id: randomUUID(),
    at,
    task: { key, task: name, scan, params, attempts, error, workerId: task.workerId ?? workerId },
  };
}
