import { isBottleError, type ScanInfo, type ScanWaitResponse } from '@bottle/protocol';
import { clientFor } from '../_client.js';
import type { CliContext } from '../_context.js';
import { exitCodes, UsageError } from '../_exit.js';
import { positiveSeconds } from '../_options.js';
import { onStopSignals } from '../_signals.js';
import type { WaitArgs } from '../commands/wait.js';

export async function runWait(argv: WaitArgs, context: CliContext): Promise<number> {
  const timeoutSeconds = positiveSeconds('timeout', argv.timeout);
  const names = [...new Set((argv.scans ?? []).map(String))];
  await using client = clientFor(argv, context);
  const interrupt = new AbortController();
  // One wait that fails stops the others, whose long polls would keep the program alive.
  const others = new AbortController();
  const signal = AbortSignal.any([interrupt.signal, others.signal]);
  const removeSignals = onStopSignals(
    () => interrupt.abort(),
    () => interrupt.abort(),
  );
  let answers: ScanWaitResponse[];
  try {
    answers = await Promise.all(
      names.map((name) =>
        client
          .waitForScan(name, {
            signal,
            ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
          })
          .catch((error: unknown) => {
            others.abort();
            // A scan that does not exist is a mistake on the command line, not a failed sweep.
            if (!isBottleError(error, 'ERR_NOT_FOUND')) throw error;
            throw new UsageError(`no scan is named '${name}'; list them with bottle status`);
          }),
      ),
    );
  } catch (error) {
    if (interrupt.signal.aborted) return exitCodes.interrupted;
    throw error;
  } finally {
    removeSignals();
  }
  const code = waitExitCode(answers);
  if (argv.json) context.stdout(`${JSON.stringify({ scans: answers, exitCode: code })}\n`);
  else context.stdout(`${summary(answers, timeoutSeconds)}\n`);
  return code;
}

/** 124 if a scan has not ended; else 1 if any task failed or was cancelled; else 0. */
export function waitExitCode(answers: readonly ScanWaitResponse[]): number {
  if (answers.some((answer) => !answer.ended)) return exitCodes.timedOut;
  const unlucky = answers.some(({ scan }) => scan.counts.failed + scan.counts.cancelled > 0);
  return unlucky ? exitCodes.failure : exitCodes.ok;
}

/** One line: what ended and how, or what is still unfinished when time ran out. */
function summary(answers: readonly ScanWaitResponse[], timeoutSeconds: number | undefined): string {
  const total = (pick: (scan: ScanInfo) => number) => answers.reduce((n, { scan }) => n + pick(scan), 0);
  const names = answers.map(({ scan }) => scan.name).join(', ');
  const finished = [
    `${total((s) => s.counts.done + s.counts.delivered)} done`,
    `${total((s) => s.counts.failed)} failed`,
    `${total((s) => s.counts.cancelled)} cancelled`,
  ].join(', ');
  const of = `of ${total((s) => s.total)} tasks`;
  const open = answers.filter((answer) => !answer.ended);
  if (open.length === 0) return `${names} ended: ${finished} ${of}`;
  const left = `${total((s) => s.counts.queued)} queued, ${total((s) => s.counts.running)} running`;
  return `timed out after ${timeoutSeconds}s: ${open.map(({ scan }) => scan.name).join(', ')} not ended (${left}; ${finished} ${of})`;
}
