/** Each event as a sentence with a level: the log's message, or a line for a plain logger. */
import type { BottleLogger } from '@bottle/protocol';
import type { ServerEvent, ServerEventListener } from './types.js';

const short = (key: string) => key.slice(0, 12);
const seconds = (since: number) => `${Math.max(0, Math.round((Date.now() - since) / 1000))}s`;

/** Each event's level and sentence; the fields go alongside in JSON. */
export function describeEvent(event: ServerEvent): { level: 'info' | 'warn'; message: string } {
  switch (event.type) {
    case 'server.started':
      return {
        level: 'info',
        message: `listening on ${event.listen} (workers connect to ${event.url}${event.db ? `; queue in ${event.db}` : ''})`,
      };
    case 'server.stopped':
      return { level: 'info', message: 'stopped' };
    case 'scan.submitted':
      return {
        level: 'info',
        message: `scan ${event.scans.join(', ')} submitted: ${event.created} new, ${event.existing} already known, ${event.requeued} requeued`,
      };
    case 'scan.finished': {
      const { done, failed, cancelled } = event.counts;
      return {
        level: failed > 0 ? 'warn' : 'info',
        message: `scan ${event.scan} finished: ${done} done, ${failed} failed, ${cancelled} cancelled of ${event.total}`,
      };
    }
    case 'reduce.queued':
      return {
        level: 'info',
        message: `scan ${event.scan} ended: its reduce task ${short(event.key)} is queued in ${event.scan}.reduce`,
      };
    case 'worker.joined':
      return {
        level: 'info',
        message: `worker ${event.workerId} joined${event.host ? ` from ${event.host}` : ''}`,
      };
    case 'worker.stale':
      return {
        level: 'warn',
        message: `worker ${event.workerId} on ${event.host} silent for ${seconds(event.lastSeen)} with ${event.running} tasks in hand: they go back to the queue when their leases expire`,
      };
    case 'worker.left':
      return {
        level: 'info',
        message: `worker ${event.workerId} on ${event.host} left (last seen ${seconds(event.lastSeen)} ago)`,
      };
    case 'task.failed':
      return {
        level: 'warn',
        message: `task ${short(event.key)} failed${event.workerId ? ` on ${event.workerId}` : ''}${event.retryable ? ' (retryable)' : ''}: ${event.error.split('\n')[0]}`,
      };
    case 'lease.expired':
      return {
        level: 'warn',
        message: `${event.count} lease(s) of scan ${event.scan} expired: their tasks go back to the queue, or fail past their attempts`,
      };
    case 'lease.lost':
      return {
        level: 'warn',
        message: `worker ${event.workerId ?? '?'} lost ${event.keys.length} lease(s) (${event.keys.slice(0, 3).map(short).join(', ')}${event.keys.length > 3 ? ', ...' : ''}): expired and handed out again, cancelled or rerun`,
      };
    case 'token.refused':
      return {
        level: 'warn',
        message: `refused ${event.method} ${event.path} from ${event.ip}: ${event.reason === 'missing' ? 'no token' : 'wrong token'}`,
      };
    case 'slurm.allocation':
      return {
        level: 'info',
        message: `slurm allocator: ${event.reason}${event.jobId ? `; submitted job ${event.jobId}` : ''}`,
      };
  }
}

/**
 * Without an event listener of its own, a router tells its events to its logger's `info`, one line
 * each: the default logger turns warnings into process warnings, too loud for every failed task.
 */
export function eventsToLogger(logger: BottleLogger): ServerEventListener {
  return (event) => logger.info(describeEvent(event).message);
}
