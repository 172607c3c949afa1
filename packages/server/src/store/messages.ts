/** Every refusal a store answers, worded once for both backends: what happened and what to do. */
import { BottleError } from '@bottle/protocol';

export function taskNotFound(key: string): BottleError {
  return new BottleError('ERR_NOT_FOUND', `no task has key ${key}; list tasks with GET /v1/tasks`);
}

export function scanNotFound(name: string): BottleError {
  return new BottleError('ERR_NOT_FOUND', `no scan is named '${name}'; list scans with GET /v1/scans`);
}

export function attemptNotFound(key: string, wanted: number, attempts: number): BottleError {
  const has = attempts === 0 ? 'it has not started yet' : `its attempts are 1..${attempts}`;
  return new BottleError('ERR_NOT_FOUND', `task ${key} has no attempt ${wanted}: ${has}`);
}

export function badCursor(): BottleError {
  return new BottleError('ERR_BAD_REQUEST', 'cursor: pass the nextCursor of the previous page unchanged');
}

/** A report, heartbeat or upload on a lease that is not (or no longer) the task's valid one. */
export function staleLease(key: string, why: string): BottleError {
  return new BottleError(
    'ERR_STALE_LEASE',
    `task ${key}: ${why}; the report was not recorded (the task is or will be handed out again)`,
  );
}

/** The lease's own report was recorded already, with another outcome or result than this one. */
export function alreadyReported(key: string, outcome: string): BottleError {
  return new BottleError(
    'ERR_ALREADY_REPORTED',
    `task ${key}: this lease already reported ${outcome}, with another outcome or result than this report; ` +
      'the first report stands (a resend must repeat it unchanged)',
  );
}

export function uploadRefused(error: BottleError): BottleError {
  // The lease messages are worded for reports; say what happened to the upload instead.
  return new BottleError(
    error.code,
    error.message.replace('the report was not recorded', 'the upload is refused'),
  );
}

export function uploadFirst(key: string): BottleError {
  return new BottleError(
    'ERR_CONFLICT',
    `task ${key}: this server gathers outputs: upload the output first ` +
      '(PUT /v1/tasks/:key/output with this lease), then report it done',
  );
}

export function nothingToCancel(key: string, state: string): BottleError {
  return new BottleError(
    'ERR_CONFLICT',
    `task ${key} is ${state}, so there is nothing to cancel; rerun it to run it again`,
  );
}

export function notFinished(key: string, state: string): BottleError {
  return new BottleError('ERR_CONFLICT', `task ${key} is ${state} already; rerun only finished tasks`);
}

/** The rule of every store: a prefix names one key, or it is an error that says what to do. */
export function onlyKey(prefix: string, rows: readonly { key: string }[]): string {
  if (rows.length === 0) {
    throw new BottleError('ERR_NOT_FOUND', `no task key starts with ${prefix}; list tasks with bottle ls`);
  }
  if (rows.length > 1) {
    throw new BottleError(
      'ERR_AMBIGUOUS_KEY',
      `several task keys start with ${prefix} (${rows.map((r) => r.key.slice(0, prefix.length + 4)).join(', ')}...): give more of the key`,
    );
  }
  return rows[0]!.key;
}

/** Why an expired lease ended: its worker stopped heartbeating. */
export function leaseExpired(workerId: string, host: string): string {
  return `lease expired: worker ${workerId} on ${host} stopped heartbeating`;
}

/** The error of a task failed for good by an expiry. */
export function expiredForGood(why: string, charged: number, maxAttempts: number): string {
  return `${why} (attempt ${charged} of ${maxAttempts})`;
}
