/** The module-task runner for an isolation mode. */
import { HostRunner } from './host-runner.js';
import { InlineRunner } from './inline-runner.js';
import type { JobBookOptions } from './job-book.js';
import type { Isolation, TaskRunner } from './runner.js';

export interface ModuleRunnerOptions extends JobBookOptions {
  isolation: Isolation;
  /** Task processes or threads at most (ignored with `none`). */
  processes: number;
  execArgv: string[];
  onStray(stream: 'stdout' | 'stderr', text: string): void;
}

export function createModuleRunner(options: ModuleRunnerOptions): TaskRunner {
  const { isolation, processes, execArgv, onStray, ...book } = options;
  if (isolation === 'none') return new InlineRunner(book);
  return new HostRunner({ ...book, kind: isolation, count: processes, execArgv, onStray });
}
