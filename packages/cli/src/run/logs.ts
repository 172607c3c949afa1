import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { positiveInt } from '../_options.js';
import type { LogsArgs } from '../commands/logs.js';

export async function runLogs(argv: LogsArgs, context: CliContext): Promise<number> {
  const logs = await clientFor(argv, context).getLogs(argv.key, positiveInt('attempt', argv.attempt));
  if (argv.json) {
    context.stdout(`${JSON.stringify(logs)}\n`);
    return 0;
  }
  const section = (name: string, text: string) =>
    `==> ${name} of task ${logs.key.slice(0, 12)}, attempt ${logs.attempt} <==\n` +
    (text === '' ? '(nothing)\n' : text.endsWith('\n') ? text : `${text}\n`);
  context.stdout(section('stdout', logs.stdout) + section('stderr', logs.stderr));
  return 0;
}
