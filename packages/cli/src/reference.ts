import type { CliContext } from './_context.js';
import { formerSpellings } from './_options.js';
import { buildParser, type ProgramName } from './main.js';

const BOTTLE_COMMANDS = [
  'post',
  'status',
  'ls',
  'show',
  'cancel',
  'rerun',
  'workers',
  'launch',
  'gather',
  'results',
];

/**
 * The CLI reference (docs/cli.md) rendered from the yargs definitions themselves, so the page
 * cannot drift from the commands: a test compares the checked-in file with this output.
 */
export async function renderCliReference(): Promise<string> {
  const sections: string[] = [
    '# CLI reference',
    '',
    '<!-- Generated from the yargs definitions by `pnpm docs:cli`; do not edit by hand. -->',
    '',
    'Three programs come with `@bottle/cli`: `bottle-server` serves the queue, `bottle-worker` runs tasks,',
    '`bottle` talks to a server. Every program takes `--help` and `--version`.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '| ---- | ------- |',
    '| `0` | success |',
    '| `1` | an expected failure, with a message that says what to do and its `ERR_*` code (see errors.md): server unreachable, request refused, task module not found or its scan threw, `--db` not a bottle queue (`ERR_BAD_DATABASE`) or served by another server (`ERR_DATABASE_LOCKED`), its SQLite driver not built for this Node.js (`ERR_SQLITE_BINDING`), the SSH tunnel gave up; `bottle-worker` when a task it ran failed for good (no attempt left, or not retryable: the summary says how many), or when every task it was given was one it has no module or command-task definition for (those tasks stay queued for other workers) |',
    '| `2` | a usage error: unknown option or command (with a "did you mean"), missing argument, invalid value (e.g. `--timeout 0`) |',
    '| `70` | a bug in bottle: please report it with the stack trace printed |',
    '| `130` | stopped by Ctrl-C (`bottle-worker`: also when tasks it ran failed) |',
    '',
    '## Names',
    '',
    'A *module* is a task module spec, `path/to/module.export` (`-p`/`--module` of `bottle-server` and',
    '`bottle-worker`, or the argument of `bottle post`, which also takes a sweep file or, with `--grid`,',
    '`--zip` or `--jsonl`, a task name); a *scan* is the name of a submitted batch of tasks',
    '(`--scan` of `post`, `ls`, `cancel`, `rerun`, `gather`, `results`, and the argument of `status`).',
    '',
    '## Former spellings',
    '',
    'Options renamed so that one idea has one word in every command still work under their former names',
    '(so scripts keep running), hidden from `--help`:',
    '',
    '| program | former | now |',
    '| ------- | ------ | --- |',
    ...formerSpellings.map(
      ({ program, former, now }) => `| \`${program}\` | \`--${former}\` | \`--${now}\` |`,
    ),
    '',
    'Tables fit the terminal (or `COLUMNS` when set); written to a pipe or a file they are never cut.',
    '',
    'Environment: `BOTTLE_SERVER` (server URL for `bottle` and `bottle-worker`), `BOTTLE_TOKEN` (bearer',
    'token), `BOTTLE_SSH_PASSPHRASE` (passphrase of an encrypted SSH key for `-t`, when no terminal can',
    'ask), `SSH_AUTH_SOCK` (ssh-agent for `-t`).',
    '',
  ];
  sections.push(...(await helpSection('bottle-server', [])));
  sections.push(...(await helpSection('bottle-worker', [])));
  sections.push(...(await helpSection('bottle', [])));
  for (const command of BOTTLE_COMMANDS) sections.push(...(await helpSection('bottle', [command])));
  sections.push(...HOSTS_FILE);
  return `${sections.join('\n').trimEnd()}\n`;
}

async function helpSection(program: ProgramName, command: string[]): Promise<string[]> {
  const title = [program, ...command].join(' ');
  return [`## \`${title}\``, '', '```text', await helpText(program, command), '```', ''];
}

async function helpText(program: ProgramName, command: string[]): Promise<string> {
  const context: CliContext = {
    env: {},
    cwd: '.',
    stdout: () => {},
    stderr: () => {},
    isTTY: false,
    columns: 100,
  };
  const rawArgs = [...command, '--help'];
  let output = '';
  const parser = await buildParser(program, rawArgs, context, () => {});
  await parser.parseAsync(rawArgs, {}, (_error, _argv, text) => {
    output = text;
  });
  return output.trimEnd();
}

/** The hosts.json format of `bottle launch`, with an example (the full story is in docs/ssh.md). */
const HOSTS_FILE = [
  '## The hosts file of `bottle launch`',
  '',
  '```json',
  '{',
  '  "server": "http://10.0.0.1:1988",',
  '  "defaults": { "user": "alice", "cwd": "~/sweep", "slots": 4 },',
  '  "hosts": [',
  '    "gpu1",',
  '    { "host": "gpu2", "slots": 8, "env": { "CUDA_VISIBLE_DEVICES": "0,1" } },',
  '    { "host": "bob@10.0.0.7:2222", "identity": "~/.ssh/lab_key", "label": "old-box" }',
  '  ]',
  '}',
  '```',
  '',
  'The file is a list of entries, or an object with `hosts` (required), `server` (the URL the remote',
  'workers use) and `defaults` (fields applied to every entry). An entry is a target string (`host`,',
  '`user@host:port` or a `~/.ssh/config` alias) or an object with `host` and optionally `user`, `port`,',
  "`identity`, `cwd` (the remote working directory, which is the worker's root), `slots` (`-x`, default 1),",
  '`env`, `command` (default `npx bottle-worker`), `args` (extra worker arguments), `server` and `label`',
  '(the output prefix). Each host runs `cd <cwd> && exec env K=V… <command> <server> -x <slots> <args…>`',
  'in a pseudo-terminal, like `ssh -t`. With no server URL anywhere (`--server`, the file, the entry),',
  'each host reaches the server on this machine (`--local-port`, default 1988) through a reverse tunnel,',
  'like `ssh -R`. Ctrl-C sends ^C to every remote worker, which stops gracefully; a second Ctrl-C hangs',
  'up at once. A host that cannot be reached is reported and the others go on; the exit code is 1 if any',
  'host failed. See [SSH](ssh.md) for authentication, host keys and the equivalent `ssh` commands.',
  '',
];
