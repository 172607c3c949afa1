import { BottleError } from '@bottle/protocol';
import { z } from 'zod';

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const hostFields = {
  user: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  identity: z.string().min(1).optional(),
  cwd: z.string().min(1).optional(),
  slots: z.number().int().positive().optional(),
  env: z
    .record(z.string().regex(envName, 'environment names are letters, digits and _'), z.string())
    .optional(),
  command: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  server: z.url().optional(),
};

const hostSchema = z.strictObject({
  host: z.string().min(1),
  label: z.string().min(1).optional(),
  ...hostFields,
});

const fileSchema = z.union([
  z.array(z.union([z.string().min(1), hostSchema])),
  z.strictObject({
    server: z.url().optional(),
    defaults: z.strictObject(hostFields).optional(),
    hosts: z.array(z.union([z.string().min(1), hostSchema])).min(1),
  }),
]);

/** One entry of hosts.json: where to start a worker and how. */
export type RemoteHost = z.infer<typeof hostSchema>;

export interface HostsFile {
  /** The default server URL for every host (each entry may override it). */
  server?: string;
  /** Entries with the file's `defaults` applied. */
  hosts: RemoteHost[];
}

/**
 * Parses hosts.json (text or already-parsed JSON): either a list of entries, or
 * `{ server?, defaults?, hosts: [...] }`. An entry is `"user@host:port"` or an object.
 * Errors name the bad entry: `hosts[2] (gpu3): slots: ...`.
 */
export function parseHostsFile(input: string | unknown, source = 'hosts file'): HostsFile {
  let data: unknown = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (error) {
      throw new BottleError('ERR_USAGE', `${source} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) throw new BottleError('ERR_USAGE', `${source}: ${describeIssues(parsed.error, data)}`);
  const file = Array.isArray(parsed.data) ? { hosts: parsed.data } : parsed.data;
  const defaults = 'defaults' in file ? (file.defaults ?? {}) : {};
  const hosts = file.hosts.map((entry) => ({
    ...defaults,
    ...(typeof entry === 'string' ? { host: entry } : entry),
  }));
  return { ...('server' in file && file.server ? { server: file.server } : {}), hosts };
}

function describeIssues(error: z.ZodError, data: unknown): string {
  const hostsOf = (value: unknown): unknown[] | undefined =>
    Array.isArray(value) ? value : ((value as { hosts?: unknown } | null)?.hosts as unknown[] | undefined);
  // A union reports each branch; the most specific issue (the deepest path) says most.
  const issues = flatten(error.issues).sort((a, b) => b.path.length - a.path.length);
  const issue = issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String);
  const at = path[0] === 'hosts' ? 1 : 0;
  const index = Number(path[at]);
  if (Number.isInteger(index)) {
    const entry = hostsOf(data)?.[index];
    const name =
      typeof entry === 'object' && entry && 'host' in entry
        ? ` (${String((entry as { host: unknown }).host)})`
        : '';
    const field = path.slice(at + 1).join('.');
    return `hosts[${index}]${name}: ${field ? `${field}: ` : ''}${issue.message}`;
  }
  return `${path.join('.') || 'top level'}: ${issue.message}`;
}

type Issue = { path: PropertyKey[]; message: string; errors?: Issue[][] };

function flatten(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    const nested = issue.errors?.flatMap((branch) => flatten(branch, path)) ?? [];
    return nested.length > 0 ? nested : [{ path, message: issue.message }];
  });
}
