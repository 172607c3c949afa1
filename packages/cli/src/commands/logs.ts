import type { Argv } from 'yargs';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { positiveInt, withJsonOption, withServerOptions } from '../_options.js';

export const logsCommand = {
  command: 'logs <key>',
  describe: "Print the tail of a task's stdout and stderr, as its worker reported them",
  builder: <T>(yargs: Argv<T>) =>
    withJsonOption(withServerOptions(yargs))
      .positional('key', {
        type: 'string',
        demandOption: true,
        description: 'Task key, or a unique prefix of 8+ characters',
      })
      .option('attempt', { type: 'number', description: 'Which attempt (default: the latest)' }),
};

type LogsArgs = Awaited<ReturnType<ReturnType<typeof logsCommand.builder>['parseAsync']>>;

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
