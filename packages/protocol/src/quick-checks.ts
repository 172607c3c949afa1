/**
 * Quick checks of the hot messages (a claim, a report batch and their answers): plain loops that
 * accept only what the zod schemas accept, so that a valid message is not walked by zod field by
 * field. They say yes or no, never why: on no, parse with the schema, whose issues name the field
 * (the same errors and codes as before). Tested against the schemas in quick-checks.test.ts.
 */
import { isWellFormed } from './_well-formed.js';
import { ERROR_CODE_FORM } from './errors.js';
import { jsonValueIssue, SHA256_HEX } from './hash.js';
import { RESOURCE_NAME } from './resources.js';
import type {
  ClaimedTask,
  ClaimRequest,
  ClaimResponse,
  Report,
  ReportRequest,
  ReportResponse,
} from './schemas.js';
import { LOG_TAIL_MAX } from './schemas.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every own key of `value` is one of `allowed` (strict objects refuse the others). */
function onlyKeys(value: Fields, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  // `for in` skips non-enumerable keys; JSON.parse makes none, but a caller's object might.
  return Object.getOwnPropertyNames(value).length === Object.keys(value).length;
}

const text = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'string' && value.length >= min && value.length <= max && isWellFormed(value);

const int = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

const optional = (value: unknown, check: (value: unknown) => boolean): boolean =>
  value === undefined || check(value);

const hash = (value: unknown): boolean => typeof value === 'string' && SHA256_HEX.test(value);

const jsonValue = (value: unknown): boolean => jsonValueIssue(value) === undefined;

const CLAIM_KEYS = new Set([
  'workerId',
  'host',
  'max',
  'waitMs',
  'claimId',
  'exclude',
  'resources',
  'free',
  'labels',
]);

/** Named amounts as `resourcesSchema` accepts them. */
function isResources(value: unknown): boolean {
  if (!isObject(value)) return false;
  let count = 0;
  for (const name in value) {
    const amount = value[name];
    if (++count > 32 || !RESOURCE_NAME.test(name)) return false;
    if (typeof amount !== 'number' || !(amount >= 0 && amount <= Number.MAX_SAFE_INTEGER)) return false;
  }
  return Object.getOwnPropertyNames(value).length === count;
}

const isLabels = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.length <= 32 &&
  value.every((label) => typeof label === 'string' && RESOURCE_NAME.test(label));

/** True when `value` is a valid `POST /v1/claim` body (as `claimRequestSchema` would accept it). */
export function isClaimRequest(value: unknown): value is ClaimRequest {
  if (!isObject(value) || !onlyKeys(value, CLAIM_KEYS)) return false;
  const { workerId, host, max, waitMs, claimId, exclude } = value;
  if (!text(workerId, 1, 200) || !text(host, 1, 255) || !int(max, 1, 1000) || !int(waitMs, 0, 120_000))
    return false;
  if (!optional(claimId, (id) => text(id, 1, 200))) return false;
  if (!optional(value['resources'], isResources) || !optional(value['free'], isResources)) return false;
  if (!optional(value['labels'], isLabels)) return false;
  if (exclude === undefined) return true;
  return Array.isArray(exclude) && exclude.length <= 1000 && exclude.every((name) => text(name, 1, 512));
}

const DONE_KEYS = new Set(['outcome', 'key', 'leaseToken', 'result', 'startedAt', 'endedAt', 'logs']);
const FAILED_KEYS = new Set([
  'outcome',
  'key',
  'leaseToken',
  'error',
  'retryable',
  'startedAt',
  'endedAt',
  'logs',
]);
const RELEASED_KEYS = new Set(['outcome', 'key', 'leaseToken']);
const LOG_KEYS = new Set(['stdout', 'stderr']);

const logTail = (value: unknown) => typeof value === 'string' && value.length <= LOG_TAIL_MAX;

function runAndLogs({ startedAt, endedAt, logs }: Fields): boolean {
  if (!optional(startedAt, (t) => int(t, 0)) || !optional(endedAt, (t) => int(t, 0))) return false;
  if (logs === undefined) return true;
  return (
    isObject(logs) &&
    onlyKeys(logs, LOG_KEYS) &&
    optional(logs['stdout'], logTail) &&
    optional(logs['stderr'], logTail)
  );
}

function isReport(value: unknown): value is Report {
  if (!isObject(value)) return false;
  if (!hash(value['key']) || !text(value['leaseToken'], 1, 200)) return false;
  switch (value['outcome']) {
    case 'done':
      return onlyKeys(value, DONE_KEYS) && runAndLogs(value) && optional(value['result'], jsonValue);
    case 'failed':
      return (
        onlyKeys(value, FAILED_KEYS) &&
        typeof value['error'] === 'string' &&
        value['error'].length <= 64 * 1024 &&
        typeof value['retryable'] === 'boolean' &&
        runAndLogs(value)
      );
    case 'released':
      return onlyKeys(value, RELEASED_KEYS);
    default:
      return false;
  }
}

const REPORT_REQUEST_KEYS = new Set(['workerId', 'reports']);

/** True when `value` is a valid `POST /v1/report` body (as `reportRequestSchema` would accept it). */
export function isReportRequest(value: unknown): value is ReportRequest {
  if (!isObject(value) || !onlyKeys(value, REPORT_REQUEST_KEYS)) return false;
  const { workerId, reports } = value;
  if (!text(workerId, 1, 200) || !Array.isArray(reports)) return false;
  if (reports.length < 1 || reports.length > 10_000) return false;
  for (let i = 0; i < reports.length; i++) if (!isReport(reports[i])) return false;
  return true;
}

const SCAN_NAME = /^[\w.\-:@+]+$/;

function isClaimedTask(value: unknown): value is ClaimedTask {
  if (!isObject(value)) return false;
  const { key, task, params, paramsHash, scan, attempt, leaseToken, leaseExpiresAt } = value;
  return (
    hash(key) &&
    text(task, 1, 512) &&
    hash(paramsHash) &&
    typeof scan === 'string' &&
    scan.length >= 1 &&
    scan.length <= 200 &&
    SCAN_NAME.test(scan) &&
    int(attempt, 1) &&
    text(leaseToken, 1, 200) &&
    int(leaseExpiresAt, Number.MIN_SAFE_INTEGER) &&
    optional(value['timeoutMs'], (ms) => int(ms, 1)) &&
    optional(value['attemptsLeft'], (n) => int(n, 0)) &&
    optional(value['resources'], isResources) &&
    isObject(params) &&
    jsonValue(params)
  );
}

/**
 * True when `value` is a valid claim answer (as `claimResponseSchema` would accept it; like the
 * schema, it lets fields a newer server adds pass).
 */
export function isClaimResponse(value: unknown): value is ClaimResponse {
  if (!isObject(value)) return false;
  const { tasks, leaseMs, heartbeatMs, upload, retryAt } = value;
  if (!Array.isArray(tasks) || !int(leaseMs, 1) || !int(heartbeatMs, 1)) return false;
  if (!optional(retryAt, (t) => int(t, Number.MIN_SAFE_INTEGER))) return false;
  if (upload !== undefined && !(isObject(upload) && int(upload['maxBytes'], 1))) return false;
  for (let i = 0; i < tasks.length; i++) if (!isClaimedTask(tasks[i])) return false;
  return true;
}

function isReportResult(value: unknown): boolean {
  if (!isObject(value) || !hash(value['key'])) return false;
  if (value['ok'] === true) return true;
  const error = value['error'];
  return (
    value['ok'] === false &&
    isObject(error) &&
    typeof error['code'] === 'string' &&
    ERROR_CODE_FORM.test(error['code']) &&
    typeof error['message'] === 'string'
  );
}

/** True when `value` is a valid answer to a report batch (as `reportResponseSchema` would accept it). */
export function isReportResponse(value: unknown): value is ReportResponse {
  if (!isObject(value) || !Array.isArray(value['results'])) return false;
  const results: unknown[] = value['results'];
  for (let i = 0; i < results.length; i++) if (!isReportResult(results[i])) return false;
  return true;
}
