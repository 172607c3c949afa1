import type { CliContext } from './_context.js';
import { buildParser, type ProgramName } from './main.js';

const BOTTLE_COMMANDS = ['post', 'status', 'ls', 'show', 'cancel', 'rerun', 'workers'];

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
    'Exit codes: `0` success; `1` an expected failure (server unreachable, request refused, module not',
    'found: the message says what to do); `2` a usage error; `70` a bug in bottle (please report the',
    'stack trace); `130` stopped by Ctrl-C.',
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
  await buildParser(program, rawArgs, context, () => {}).parseAsync(rawArgs, {}, (_error, _argv, text) => {
    output = text;
  });
  return output.trimEnd();
}
