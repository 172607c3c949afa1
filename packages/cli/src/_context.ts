/** What a command may touch of the outside world; tests pass their own. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress lines redraw in place only there. */
  isTTY: boolean;
  /** Whether stdout is a terminal: `bottle status --watch` redraws in place only there. */
  stdoutIsTTY?: boolean;
  /** Width tables are fitted to: `Infinity` never cuts a cell (output to a file or a pipe). */
  columns: number;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    columns: tableWidth(process.env, process.stdout),
  };
}

/**
 * `COLUMNS` when set, else the terminal's width; a pipe or a file gets whole lines, since what
 * reads them (grep, a spreadsheet, a log) has no width.
 */
export function tableWidth(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean; columns?: number }): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (!stdout.isTTY) return Number.POSITIVE_INFINITY;
  return stdout.columns || 100;
}

/** A logger for the libraries that prints through the context, prefixed by the program name. */
export function contextLogger(context: CliContext, program: string) {
  return {
    debug: (message: string) => {
      if (context.env.BOTTLE_DEBUG) context.stderr(`${program}: ${message}\n`);
    },
    info: (message: string) => context.stderr(`${program}: ${message}\n`),
    warn: (message: string) => context.stderr(`${program}: warning: ${message}\n`),
    error: (message: string) => context.stderr(`${program}: error: ${message}\n`),
  };
}
