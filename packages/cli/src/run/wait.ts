import { setTimeout as sleep } from 'node:timers/promises';
import { isBottleError, type ScanInfo, type ScanWaitResponse } from '@bottle/protocol';
import type { BottleClient } from '@bottle/worker';
import { clientFor } from '../_client.js';
import { type CliContext, contextLogger } from '../_context.js';
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
  const deadline =
    timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutSeconds * 1000;
  // Said once per outage, whichever scan's wait meets it first.
  let down = false;
  const log = contextLogger(context, 'bottle');
  const outage = (isDown: boolean) => {
    if (isDown && !down)
      context.stderr(`bottle: ${client.url} cannot be reached; waiting for it to come back\n`);
    down = isDown;
  };
  let answers: ScanWaitResponse[];
  try {
    answers = await Promise.all(
      names.map((name) =>
        waitThroughRestarts(client, name, deadline, signal, outage, log.debug).catch((error: unknown) => {
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

/** How long a wait leaves between tries to reach a server that stopped answering. */
const RECONNECT_MS = 2_000;

/**
 * `client.waitForScan`, riding through a restart of the server once it has answered: a sweep
 * outlives its server's restarts (the queue is on disk), so its wait does too, until `deadline`.
 */
async function waitThroughRestarts(
  client: BottleClient,
  name: string,
  deadline: number,
  signal: AbortSignal,
  outage: (down: boolean) => void,
  debug: (message: string) => void,
): Promise<ScanWaitResponse> {
  // A server that never answered is a wrong URL or a server not started: said at once.
  await client.getScan(name);
  debug(`waiting for scan ${name} on ${client.url}`);
  for (;;) {
    const left = deadline - Date.now();
    try {
      const answer = await client.waitForScan(name, {
        signal,
        ...(Number.isFinite(left) ? { timeoutMs: Math.max(0, left) } : {}),
      });
      outage(false);
      return answer;
    } catch (error) {
      const gone = isBottleError(error, 'ERR_SERVER_UNREACHABLE') || isBottleError(error, 'ERR_UNAVAILABLE');
      if (!gone || Date.now() + RECONNECT_MS >= deadline) throw error;
      outage(true);
      await sleep(RECONNECT_MS, undefined, { signal });
    }
  }
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
