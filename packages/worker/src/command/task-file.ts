/**
 * The command-task file: tasks declared on the worker's machine as a program to run, e.g.
 *
 * ```yaml
 * tasks:
 *   train:
 *     command: [python3, "{root}/train.py", --lr, "{lr}", --out, "{outdir}"]
 *     timeout: 2h
 * ```
 *
 * The server only ever sends a task name and parameters; what a name runs is decided here.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BottleError, formatPath, parseDuration, taskNameSchema } from '@bottle/protocol';
import { z } from 'zod';
import { readDataFile } from '../_data-file.js';
import { parseTemplate, type Template } from './template.js';

/** Names looked up in the worker's root, in order, when no file is given. */
export const taskFileNames = ['bottle.yaml', 'bottle.yml', 'bottle.json'] as const;

/** One command task, checked and with its templates parsed. */
export interface CommandTask {
  name: string;
  /** argv templates (run without a shell), or one shell script template (run by `/bin/sh -c`). */
  argv?: Template[];
  shell?: Template;
  /** Working directory template; default `{outdir}`. Relative paths are taken from the file's folder. */
  cwd: Template;
  /** Output root: the task's directory is `<outRoot>/<paramsHash>`. */
  outRoot: string;
  timeoutMs?: number;
  env: Array<[name: string, value: Template]>;
  /** Folder of the task file (`{root}`). */
  root: string;
}

/** A loaded task file. */
export interface CommandTaskFile {
  file: string;
  tasks: Map<string, CommandTask>;
}

const entrySchema = z.strictObject({
  description: z.string().optional(),
  command: z.array(z.string()).min(1).optional(),
  shell: z.string().min(1).optional(),
  cwd: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  timeout: z.union([z.number(), z.string()]).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
});

/** The keys of a task entry (task-file.schema.json lists the same; a test checks it). */
export const taskEntryKeys = Object.keys(entrySchema.shape);

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  tasks: z.record(taskNameSchema, entrySchema),
});

/** The task file to use: `file` if given (it must exist), else the first of {@link taskFileNames} in `root`. */
export function findTaskFile(root: string, file?: string): string | undefined {
  if (file !== undefined) return resolve(root, file);
  return taskFileNames.map((name) => join(root, name)).find((path) => existsSync(path));
}

/** Reads and checks a task file; every mistake is an `ERR_BAD_TASK_FILE` naming the file and entry. */
export function loadTaskFile(file: string): CommandTaskFile {
  const data = readDataFile(file, 'ERR_BAD_TASK_FILE', 'the task file');
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = formatPath('', issue?.path ?? []) || '(top)';
    throw new BottleError(
      'ERR_BAD_TASK_FILE',
      `${file}: ${path}: ${issue?.message ?? 'invalid'}; see docs/tasks.md#command-tasks`,
    );
  }
  const root = dirname(file);
  const tasks = new Map<string, CommandTask>();
  for (const [name, entry] of Object.entries(parsed.data.tasks)) {
    const where = `${file}: tasks.${name}`;
    if ((entry.command === undefined) === (entry.shell === undefined)) {
      throw new BottleError(
        'ERR_BAD_TASK_FILE',
        `${where}: give either command (a list: program and arguments) or shell (one script line), not ${entry.command ? 'both' : 'neither'}`,
      );
    }
    const task: CommandTask = {
      name,
      cwd: parseTemplate(entry.cwd ?? '{outdir}', `${where}.cwd`),
      outRoot: isAbsolute(entry.out ?? '') ? (entry.out as string) : resolve(root, entry.out ?? 'out'),
      env: Object.entries(entry.env ?? {}).map(([key, value]) => [
        key,
        parseTemplate(value, `${where}.env.${key}`),
      ]),
      root,
    };
    if (entry.command)
      task.argv = entry.command.map((arg, i) => parseTemplate(arg, `${where}.command[${i}]`));
    if (entry.shell) task.shell = parseTemplate(entry.shell, `${where}.shell`);
    if (entry.timeout !== undefined)
      task.timeoutMs = parseDuration(entry.timeout, `${where}.timeout`, 'ERR_BAD_TASK_FILE');
    tasks.set(name, task);
  }
  return { file, tasks };
}
