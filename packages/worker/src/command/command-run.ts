/**
 * Runs one command task as its own process group, so that a timeout, a cancel or a worker stop ends the
 * program and everything it started, and a terminal's Ctrl-C reaches the worker only. Its output goes
 * straight into the task's stdout.log and stderr.log (file descriptors, no pipe through the worker).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type AnyErrorCode, isBottleError, type JsonValue, type Params } from '@bottle/protocol';
import { readTail } from '../runner/_task-log.js';
import type { TaskStatusFile } from '../runner/messages.js';
import type { AbortReason, RunEnd } from '../runner/runner.js';
import { writeStatusFile } from '../runner/task-files.js';
import type { LaunchExit, Launchers } from './launcher.js';
import type { CommandTask } from './task-file.js';
import { type Builtins, fillTemplate, paramEnvName, shellQuote, valueText } from './template.js';

/** The claimed task a command runs for. */
export interface CommandInput {
  task: string;
  key: string;
  params: Params;
  paramsHash: string;
  attempt: number;
  host: string;
  workerId: string;
  timeoutMs: number | undefined;
  /** How long the program may take to end after SIGTERM before its group is SIGKILLed. */
  stopGraceMs: number;
}

/** A running command: `end` settles however it ends (never rejects); `abort` stops it. */
export interface CommandRun {
  end: Promise<RunEnd>;
  abort(reason: AbortReason): void;
}

const tailBytes = 4096;
const maxResultBytes = 1 << 20;

/** Starts `command` for one task. */
export function runCommand(command: CommandTask, input: CommandInput, launchers: Launchers): CommandRun {
  const outputDir = join(command.outRoot, input.paramsHash);
  let abortReason: AbortReason | undefined;
  let stop: (reason: AbortReason) => void = (reason) => {
    abortReason ??= reason;
  };
  const end = (async (): Promise<RunEnd> => {
    let prepared: ReturnType<typeof prepare>;
    try {
      mkdirSync(outputDir, { recursive: true });
      prepared = prepare(command, input, outputDir);
      if (prepared.cwd !== outputDir) mkdirSync(prepared.cwd, { recursive: true });
    } catch (error) {
      return failedEnd(error, outputDir, false);
    }
    // Stopped while preparing (no timer runs yet, so not by its timeout).
    if (abortReason !== undefined && abortReason !== 'timeout')
      return { kind: 'aborted', reason: abortReason, outputDir };
    const startedMs = Date.now();
    const startedAt = new Date(startedMs).toISOString();
    const launched = launchers.start({
      file: prepared.file,
      args: prepared.args,
      cwd: prepared.cwd,
      env: prepared.env,
      stdout: join(outputDir, 'stdout.log'),
      stderr: join(outputDir, 'stderr.log'),
      attempt: input.attempt,
      workerId: input.workerId,
    });
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    stop = (reason) => {
      if (abortReason !== undefined) return;
      abortReason = reason;
      launched.kill('SIGTERM');
      killTimer = setTimeout(() => launched.kill('SIGKILL'), input.stopGraceMs);
    };
    if (input.timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), input.timeoutMs);
    const exit = await launched.end;
    clearTimeout(timer);
    clearTimeout(killTimer);
    if (exit.refused !== undefined) {
      // Refused before any process existed, e.g. a NUL character in an argument.
      return failed('ERR_TASK_FAILED', `cannot start "${prepared.file}": ${exit.refused}`, false, outputDir);
    }
    const end = endOf(command, exit, abortReason, outputDir, prepared.file);
    writeStatus(input, outputDir, end, exit.pid, startedAt, exit);
    return end.kind === 'aborted' ? end : { ...end, startedAt: startedMs, endedAt: Date.now() };
  })();
  return { end, abort: (reason) => stop(reason) };
}

/** argv, cwd and environment of the program, with the parameters filled in. */
function prepare(command: CommandTask, input: CommandInput, outputDir: string) {
  const paramsFile = join(outputDir, 'params.json');
  writeFileSync(paramsFile, `${JSON.stringify(input.params, null, 2)}\n`);
  const builtins: Builtins = {
    outdir: outputDir,
    key: input.key,
    params_json: paramsFile,
    root: command.root,
    attempt: String(input.attempt),
    hash: input.paramsHash,
    task: input.task,
  };
  // What the program's environment adds to the worker's (the launcher started with the worker's).
  const env: Record<string, string> = {};
  for (const [name, value] of command.env) env[name] = fillTemplate(value, input.params, builtins);
  for (const [name, value] of Object.entries(input.params))
    env[paramEnvName(name)] = valueText(value as JsonValue);
  Object.assign(env, {
    BOTTLE_TASK: input.task,
    BOTTLE_KEY: input.key,
    BOTTLE_PARAMS_HASH: input.paramsHash,
    BOTTLE_ATTEMPT: String(input.attempt),
    BOTTLE_OUTDIR: outputDir,
    BOTTLE_PARAMS_FILE: paramsFile,
    BOTTLE_ROOT: command.root,
  });
  const cwdText = fillTemplate(command.cwd, input.params, builtins);
  const cwd = isAbsolute(cwdText) ? cwdText : resolve(command.root, cwdText);
  if (command.shell !== undefined) {
    return {
      file: '/bin/sh',
      args: ['-c', fillTemplate(command.shell, input.params, builtins, shellQuote)],
      cwd,
      env,
    };
  }
  const [file, ...args] = (command.argv ?? []).map((arg) => fillTemplate(arg, input.params, builtins));
  return { file: file as string, args, cwd, env };
}

function endOf(
  command: CommandTask,
  exit: LaunchExit,
  abortReason: AbortReason | undefined,
  outputDir: string,
  file: string,
): RunEnd {
  if (abortReason === 'timeout') {
    return failed(
      'ERR_TASK_TIMEOUT',
      `the command ran past its timeout; its process group was killed`,
      true,
      outputDir,
    );
  }
  if (abortReason !== undefined) return { kind: 'aborted', reason: abortReason, outputDir };
  if (exit.error?.code === 'ELAUNCHER') {
    return failed('ERR_TASK_CRASHED', `${exit.error.message} while the command ran`, true, outputDir);
  }
  if (exit.error !== undefined) {
    const code = exit.error.code;
    const why =
      code === 'ENOENT'
        ? 'no such program (check the name, PATH, and that relative paths are taken from cwd)'
        : exit.error.message;
    return failed(
      'ERR_TASK_FAILED',
      `cannot start "${file}" for task ${command.name}: ${why}`,
      false,
      outputDir,
    );
  }
  if (exit.signal !== null) {
    return failed(
      'ERR_TASK_CRASHED',
      withTail(`the command was killed by ${exit.signal}`, outputDir),
      true,
      outputDir,
    );
  }
  if (exit.code !== 0) {
    return failed(
      'ERR_TASK_FAILED',
      withTail(`the command exited with code ${exit.code}`, outputDir),
      true,
      outputDir,
    );
  }
  try {
    const text = readFileSync(join(outputDir, 'result.json'), 'utf8');
    if (Buffer.byteLength(text) > maxResultBytes) {
      return failed(
        'ERR_TASK_FAILED',
        `result.json is larger than ${maxResultBytes} bytes; keep big outputs in other files`,
        false,
        outputDir,
      );
    }
    return { kind: 'done', result: JSON.parse(text) as JsonValue, outputDir };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'done', outputDir };
    return failed(
      'ERR_TASK_FAILED',
      `result.json is not valid JSON: ${(error as Error).message}`,
      false,
      outputDir,
    );
  }
}

function failed(code: AnyErrorCode, message: string, retryable: boolean, outputDir: string): RunEnd {
  return { kind: 'failed', code, message, retryable, outputDir };
}

function failedEnd(error: unknown, outputDir: string, retryable: boolean): RunEnd {
  if (isBottleError(error)) return failed(error.code, error.message, retryable, outputDir);
  return failed(
    'ERR_TASK_FAILED',
    error instanceof Error ? error.message : String(error),
    retryable,
    outputDir,
  );
}

function withTail(message: string, outputDir: string): string {
  const tail = readTail(join(outputDir, 'stderr.log'), tailBytes);
  return tail.trim() === '' ? message : `${message}\n--- stderr (tail) ---\n${tail.trimEnd()}`;
}

function writeStatus(
  input: CommandInput,
  outputDir: string,
  end: RunEnd,
  pid: number,
  startedAt: string,
  exit: { code: number | null; signal: NodeJS.Signals | null },
): void {
  const state: TaskStatusFile['state'] =
    end.kind === 'done'
      ? 'done'
      : end.kind === 'failed'
        ? 'failed'
        : end.reason === 'cancelled'
          ? 'cancelled'
          : 'released';
  try {
    writeStatusFile(outputDir, {
      state,
      task: input.task,
      key: input.key,
      paramsHash: input.paramsHash,
      attempt: input.attempt,
      host: input.host,
      workerId: input.workerId,
      pid,
      startedAt,
      endedAt: new Date().toISOString(),
      exitCode: exit.code,
      signal: exit.signal,
      error: end.kind === 'failed' ? end.message : null,
    });
  } catch {} // The folder may be gone; the report carries the same.
}
