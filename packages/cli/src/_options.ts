import { DEFAULT_PORT } from '@bottle/protocol';
import type { Argv } from 'yargs';
import { UsageError } from './_exit.js';

export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_PORT}`;

/** `--server` and `--token`, shared by every `bottle` command. */
export function withServerOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('server', {
      alias: 's',
      type: 'string',
      description: `Server URL (default: $BOTTLE_SERVER, else ${DEFAULT_SERVER})`,
    })
    .option('token', { type: 'string', description: 'Bearer token (default: $BOTTLE_TOKEN)' });
}

/**
 * `--minimize FIELD` / `--maximize FIELD`: the objective a scan's tasks are ranked by, as in a search.
 * They override the objective a scan records (a search's scan records its own).
 */
export function withObjectiveOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('minimize', {
      type: 'string',
      description:
        "Rank done tasks by this result field, lowest first (a dotted path: 'loss', 'metrics.rmse'; default: the scan's own objective, as a search records it)",
    })
    .option('maximize', {
      type: 'string',
      description: 'Rank done tasks by this result field, highest first',
    })
    .conflicts('minimize', 'maximize');
}

/** The objective the flags name, if any. */
export function objectiveOf(argv: {
  minimize?: string | undefined;
  maximize?: string | undefined;
}): { minimize: string } | { maximize: string } | undefined {
  if (argv.minimize !== undefined) return { minimize: argv.minimize };
  if (argv.maximize !== undefined) return { maximize: argv.maximize };
  return undefined;
}

export function withJsonOption<T>(yargs: Argv<T>) {
  return yargs.option('json', { type: 'boolean', default: false, description: 'Print JSON for scripts' });
}

/**
 * `http://host:1988`, `host:1988` and `host` all name a server; a host given without a scheme or
 * port gets port 1988, as the original's `webtask.py host` did. A full URL is taken as written.
 */
export function normalizeServerUrl(value: string): string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  const withScheme = hasScheme ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`'${value}' is not a server URL; expected e.g. http://host:${DEFAULT_PORT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`'${value}': only http:// and https:// servers are supported`);
  }
  if (!hasScheme && !url.port) url.port = String(DEFAULT_PORT);
  return url.toString().replace(/\/$/, '');
}

export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return normalizeServerUrl(flag ?? env.BOTTLE_SERVER ?? DEFAULT_SERVER);
}

/** `bottle-worker`'s servers: each argument may list several, separated by commas. */
export function resolveServers(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  const given = (flags && flags.length > 0 ? flags : [env.BOTTLE_SERVER ?? DEFAULT_SERVER])
    .flatMap((flag) => String(flag).split(','))
    .map((flag) => flag.trim())
    .filter((flag) => flag !== '');
  if (given.length === 0) throw new UsageError('no server URL given');
  return given.map(normalizeServerUrl);
}

export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const token = flag ?? env.BOTTLE_TOKEN;
  return token === '' ? undefined : token;
}

export function positiveInt(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a whole number >= 1`);
  return value;
}

/**
 * A duration in seconds (`--timeout`, `--lease`): a number > 0. yargs reads `abc` as NaN and lets
 * `0` and `-5` through; each would mean something the user did not ask for.
 */
export function positiveSeconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${name} takes a number of seconds > 0 (e.g. --${name} 600)`);
  }
  return value;
}

/** A priority (`--priority`, `bottle priority`): a whole number, higher is handed out first. */
export function priorityValue(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || Math.abs(value) > 1_000_000) {
    throw new UsageError('a priority is a whole number from -1000000 to 1000000 (higher goes first)');
  }
  return value;
}

/**
 * Options renamed so that one idea has one word in every command. The former spellings still work,
 * so that scripts keep running, but --help shows only the new one; docs/cli.md lists them.
 */
export const formerSpellings = [
  { program: 'bottle post', former: 'name', now: 'scan' },
  { program: 'bottle-worker', former: 'tunnel-port', now: 'local-port' },
] as const;

/** The yargs settings of a former spelling: accepted, hidden from --help. */
export function formerSpelling(now: (typeof formerSpellings)[number]['now']) {
  return { hidden: true, description: `Former spelling of --${now}` } as const;
}
