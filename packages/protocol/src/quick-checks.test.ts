import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClaimRequest, isClaimResponse, isReportRequest, isReportResponse } from './quick-checks.js';
import {
  claimRequestSchema,
  claimResponseSchema,
  reportRequestSchema,
  reportResponseSchema,
} from './schemas.js';

const key = 'a'.repeat(64);
const lone = '\ud800';

/** Values at and around each field's limits, of every JSON type, and a few that JSON cannot carry. */
const EDGES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1,
  1.5,
  1000,
  1001,
  120_000,
  120_001,
  2 ** 53,
  Number.NaN,
  '',
  'w',
  lone,
  `x${lone}`,
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(512),
  'x'.repeat(513),
  'x'.repeat(8192),
  'x'.repeat(8193),
  'x'.repeat(64 * 1024),
  'x'.repeat(64 * 1024 + 1),
  key,
  key.toUpperCase(),
  'scan-1',
  'bad scan',
  'done',
  'failed',
  'released',
  'lost',
  [],
  ['a'],
  [lone],
  ['x'.repeat(513)],
  Array.from({ length: 1001 }, () => 'a'),
  {},
  [{}],
  { a: [Number.NaN] },
  { stdout: 'o' },
  { stdout: 'x'.repeat(8193) },
  { stdout: 'o', other: 1 },
  { maxBytes: 1 },
  { maxBytes: 0 },
  'ERR_STALE_LEASE',
  'ERR_stale',
  { code: 'ERR_X', message: 'm' },
  { code: 'ERR_x', message: 'm' },
  { code: 'ERR_X' },
  false,
  { gpus: -1 },
  { '1gpu': 1 },
  { gpus: '1' },
  ['cuda12'],
  ['9x'],
  [],
  {},
];

const claim = {
  workerId: 'w',
  host: 'h',
  max: 10,
  waitMs: 500,
  claimId: 'c',
  exclude: ['m.T'],
  resources: { gpus: 2, memory: 1.5e10 },
  free: { gpus: 0.5 },
  labels: ['cuda12', 'a.b-c_d'],
};
const done = {
  outcome: 'done',
  key,
  leaseToken: 't',
  result: { loss: 0.5 },
  startedAt: 1,
  endedAt: 2,
  logs: { stdout: 'o', stderr: 'e' },
};
const failed = { outcome: 'failed', key, leaseToken: 't', error: 'boom', retryable: true };
const released = { outcome: 'released', key, leaseToken: 't' };
const claimed = {
  key,
  task: 'm.T',
  params: { a: 1, b: [true, 'x'] },
  paramsHash: key,
  scan: 'scan-1',
  attempt: 1,
  leaseToken: 't',
  leaseExpiresAt: 1_700_000_000_000,
  timeoutMs: 5,
  attemptsLeft: 0,
  resources: { gpus: 1 },
};
const refused = { key, ok: false, error: { code: 'ERR_STALE_LEASE', message: 'm' } };
const answer = { tasks: [claimed], leaseMs: 1000, heartbeatMs: 300, upload: { maxBytes: 9 }, retryAt: 5 };

/** `base` with `field` set to `value` (or removed, for undefined), as JSON.parse makes it: own keys. */
function withField(base: object, field: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  if (value === undefined) delete copy[field];
  else Object.defineProperty(copy, field, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Every field of `base` set to every edge value, and two unknown keys added. */
function variants(base: object): Record<string, unknown>[] {
  const out = [base as Record<string, unknown>];
  for (const field of [...Object.keys(base), 'other', '__proto__']) {
    for (const value of EDGES) out.push(withField(base, field, value));
  }
  return out;
}

interface Case {
  name: string;
  check: (value: unknown) => boolean;
  schema: { safeParse(value: unknown): { success: boolean } };
  bodies: unknown[];
}

const cases: Case[] = [
  { name: 'claim', check: isClaimRequest, schema: claimRequestSchema, bodies: variants(claim) },
  {
    name: 'report batch',
    check: isReportRequest,
    schema: reportRequestSchema,
    bodies: [
      ...variants({ workerId: 'w', reports: [done] }),
      ...[done, failed, released].flatMap((report) =>
        variants(report).map((r) => ({ workerId: 'w', reports: [released, r] })),
      ),
      ...variants({ logs: { stdout: 'o' } }).map((logs) => ({
        workerId: 'w',
        reports: [{ ...done, logs: logs['logs'] }],
      })),
    ],
  },
  {
    name: 'claim answer',
    check: isClaimResponse,
    schema: claimResponseSchema,
    bodies: [
      ...variants(answer),
      ...variants(claimed).map((task) => ({ ...answer, tasks: [claimed, task] })),
    ],
  },
  {
    name: 'report answer',
    check: isReportResponse,
    schema: reportResponseSchema,
    bodies: [
      ...variants({ results: [] }),
      ...variants({ key, ok: true }).map((r) => ({ results: [r] })),
      ...variants(refused).map((r) => ({ results: [{ key, ok: true }, r] })),
    ],
  },
];

describe('quick checks agree with the schemas', () => {
  it.each(cases)(
    'accepts a $name exactly when its schema does, field by field',
    ({ check, schema, bodies }) => {
      let accepted = 0;
      for (const body of bodies) {
        const expected = schema.safeParse(body).success;
        if (check(body) !== expected)
          expect.fail(`disagree (schema: ${expected}) on ${JSON.stringify(body)}`);
        if (expected) accepted++;
      }
      // Both answers are exercised: the sweep is not all refusals.
      expect(accepted).toBeGreaterThan(5);
      expect(bodies.length - accepted).toBeGreaterThan(5);
    },
  );

  it.each(cases)('agrees on a $name with several fields changed at once', ({ check, schema, bodies }) => {
    const mixed = fc
      .tuple(fc.constantFrom(...bodies), fc.constantFrom(...bodies))
      .map(([a, b]) => ({ ...(a as object), ...(b as object) }));
    fc.assert(
      fc.property(mixed, (body) => {
        expect(check(body)).toBe(schema.safeParse(body).success);
      }),
      { numRuns: 1000 },
    );
  });
});
