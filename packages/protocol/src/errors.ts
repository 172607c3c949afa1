/**
 * Every error bottle raises carries a stable `code`. Codes travel over the wire in
 * `{ "error": { "code", "message" } }`, so they live here, beside the schemas.
 */

/** Each code with the HTTP status it maps to (when it crosses HTTP) and what the user should do. */
export const errorCatalog = {
  ERR_BAD_REQUEST: {
    status: 400,
    hint: 'Fix the request body or query so that it matches the protocol schema.',
  },
  ERR_BAD_PARAMS: {
    status: 400,
    hint: 'Use only JSON values in parameters: finite numbers, strings, booleans, null, arrays and plain objects.',
  },
  ERR_BAD_PARAM_SET: {
    status: 400,
    hint: 'Check the parameter-set expression (names, values, zip lengths).',
  },
  ERR_BAD_RESOURCES: {
    status: 400,
    hint: 'Write resources as named amounts (gpus=1, cpus=4, memory=16GiB: names of letters, digits, _ . -; amounts >= 0) and labels as names (cuda12).',
  },
  ERR_UNAUTHORIZED: { status: 401, hint: 'Pass the server token with --token or BOTTLE_TOKEN.' },
  ERR_NOT_FOUND: { status: 404, hint: 'Check the route, task key or scan name.' },
  ERR_AMBIGUOUS_KEY: {
    status: 409,
    hint: 'Several tasks start with this key prefix: give more of the key (bottle ls shows them).',
  },
  ERR_STALE_LEASE: {
    status: 409,
    hint: 'The lease expired or was taken over; the task was handed to another worker. Nothing to do.',
  },
  ERR_ALREADY_REPORTED: {
    status: 409,
    hint: 'This lease already reported another outcome or result; the first report stands. Resend it unchanged or not at all.',
  },
  ERR_CONFLICT: { status: 409, hint: 'The task is not in a state that allows this operation.' },
  ERR_PAYLOAD_TOO_LARGE: {
    status: 413,
    hint: 'Send fewer tasks per request, or raise the server body limit.',
  },
  ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    hint: 'Send UTF-8 JSON with Content-Type: application/json, uncompressed or with Content-Encoding gzip, deflate or br.',
  },
  ERR_INTERNAL: { status: 500, hint: 'A bug or an environment failure; see the server log.' },
  ERR_UNAVAILABLE: { status: 503, hint: 'The server is shutting down or not ready; retry later.' },
  ERR_DATABASE: {
    status: 503,
    hint: "Check the database URL, that the database accepts this login, and that bottle's schema holds only bottle's tables.",
  },

  ERR_SERVER_UNREACHABLE: {
    status: undefined,
    hint: 'Check the server URL, that the server runs, or the tunnel.',
  },
  ERR_HTTP: { status: undefined, hint: 'The server answered with an unexpected status; see the message.' },
  ERR_TIMEOUT: {
    status: undefined,
    hint: 'The server did not answer in time; check the network or raise the timeout.',
  },

  ERR_MODULE_NOT_FOUND: {
    status: undefined,
    hint: 'Check the task module path; it is resolved inside the root.',
  },
  ERR_EXPORT_NOT_FOUND: {
    status: undefined,
    hint: 'Check the export name after the last dot of the module spec.',
  },
  ERR_MODULE_OUTSIDE_ROOT: {
    status: undefined,
    hint: 'Task modules must be relative paths inside the worker root; no absolute paths or "..".',
  },
  ERR_BAD_TASK_FILE: {
    status: undefined,
    hint: 'Fix the command-task file (bottle.yaml) as the message says; see docs/tasks.md.',
  },
  ERR_BAD_TASK_MODULE: { status: undefined, hint: 'The export is not a task or scan of a supported form.' },
  ERR_BAD_SEARCH: {
    status: undefined,
    hint: 'Fix the search as the message says: task, objective, budget, ask and tell; see docs/search.md.',
  },
  ERR_TASK_FAILED: { status: undefined, hint: 'The task threw or exited non-zero; see its stderr.log.' },
  ERR_TASK_TIMEOUT: {
    status: undefined,
    hint: 'The task ran past its timeout and was killed; raise --timeout.',
  },
  ERR_TASK_CRASHED: {
    status: undefined,
    hint: 'The task process died (signal, out of memory); see stderr.log.',
  },

  ERR_SSH_CONNECT: { status: undefined, hint: 'Check the host name, port and that sshd runs there.' },
  ERR_SSH_AUTH: { status: undefined, hint: 'Load a key into ssh-agent or pass --identity FILE.' },
  ERR_SSH_HOST_KEY_UNKNOWN: {
    status: undefined,
    hint: 'Verify the fingerprint, then rerun with --accept-new-host-key to record it.',
  },
  ERR_SSH_HOST_KEY_CHANGED: {
    status: undefined,
    hint: 'The host key differs from known_hosts: possible attack. Remove the old entry only if you know why.',
  },
  ERR_SSH_FORWARD: { status: undefined, hint: 'The local tunnel port is taken or the remote port refused.' },

  ERR_UPLOAD_REJECTED: {
    status: 400,
    hint: 'The output archive holds unsafe entries (absolute, "..", links, devices).',
  },
  ERR_UPLOAD_TOO_LARGE: {
    status: 413,
    hint: 'The task output exceeds --max-upload; raise it on the server.',
  },
  ERR_UPLOAD_CHECKSUM: { status: 400, hint: 'The upload was corrupted in transit; it will be retried.' },
  ERR_DOWNLOAD_CHECKSUM: {
    status: undefined,
    hint: "A downloaded output file does not match the server's listing; run the gather again.",
  },

  ERR_BAD_DATABASE: {
    status: undefined,
    hint: 'The --db file is not a bottle queue (or is damaged): give a new file name, or restore the file.',
  },
  ERR_DATABASE_LOCKED: {
    status: undefined,
    hint: 'Another bottle server serves this --db file: stop it, or use another file.',
  },
  ERR_SQLITE_BINDING: {
    status: undefined,
    hint: "better-sqlite3's compiled module is missing or built for another Node.js: build it (pnpm approve-builds, npm rebuild better-sqlite3); see docs/installing.md.",
  },

  ERR_MISSING_PACKAGE: {
    status: undefined,
    hint: 'Install the optional package the message names beside bottle (npm install pg for a postgres:// database).',
  },

  ERR_SLURM: {
    status: undefined,
    hint: "A Slurm command (sbatch, squeue, scancel) failed or is missing: read Slurm's message; run bottle where Slurm's commands work (a login node).",
  },

  ERR_USAGE: { status: undefined, hint: 'See --help for the command.' },
} as const satisfies Record<string, { status: number | undefined; hint: string }>;

/** The codes this version raises and documents (docs/errors.md). */
export type ErrorCode = keyof typeof errorCatalog;

/**
 * A code as it may arrive from the wire: one of {@link ErrorCode}, or another `ERR_*` that a newer
 * server raises and this version does not know yet (its message still says what went wrong).
 */
export type AnyErrorCode = ErrorCode | (`ERR_${string}` & {});

/** Every error code, in a stable order. */
export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

/** What every code looks like, known or not. */
export const ERROR_CODE_FORM = /^ERR_[A-Z0-9_]+$/;

export interface BottleErrorOptions {
  cause?: unknown;
  /** HTTP status; defaults to the catalog's status for the code. */
  status?: number;
  /** Extra machine-readable detail (never secrets). */
  details?: Record<string, unknown>;
}

/** The base of every error bottle throws on purpose. */
export class BottleError extends Error {
  override readonly name = 'BottleError';
  readonly code: AnyErrorCode;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AnyErrorCode, message: string, options: BottleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status =
      options.status ?? (errorCatalog as Partial<Record<string, { status?: number }>>)[code]?.status;
    this.details = options.details;
  }

  /** The wire form: what a server sends and what `{ error }` bodies carry. */
  toJSON(): { error: { code: AnyErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * True for a BottleError, also one made by another copy of this package or carrying a code this
 * version does not know: checks `name` and the `ERR_*` form of `code`, not `instanceof`.
 */
export function isBottleError(value: unknown, code?: ErrorCode): value is BottleError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  if (candidate.name !== 'BottleError' || typeof candidate.code !== 'string') return false;
  if (!ERROR_CODE_FORM.test(candidate.code)) return false;
  return code === undefined || candidate.code === code;
}
