import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerEventListener, Store } from '@bottle/server';
import type { AllocationFile } from '@bottle/worker/slurm';
import { UsageError } from './_exit.js';
import { normalizeServerUrl } from './_options.js';
import { thisWorkerCommand } from './_worker-command.js';

/**
 * `bottle-server --slurm-alloc FILE`: the allocator runs in the server, beside the queue it sizes
 * the workers to: it reads the queue's counts and records the jobs it owns in the store, and its
 * decisions go to the server's event log.
 */
export async function readSlurmAllocation(file: string, cwd: string): Promise<AllocationFile> {
  const { parseAllocationFile } = await import('@bottle/worker/slurm');
  let content: string;
  try {
    content = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(`--slurm-alloc: cannot read ${file}: ${(error as Error).message}`);
  }
  return parseAllocationFile(content, file);
}

/** Starts the allocator of a file {@link readSlurmAllocation} read (before the server started). */
export async function startSlurmAllocator(
  options: AllocationFile,
  {
    cwd,
    env,
    store,
    remoteUrl,
    onEvent,
  }: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    store: Store;
    /** The server's URL on a non-loopback interface, when it listens on one. */
    remoteUrl: string | undefined;
    onEvent: ServerEventListener;
  },
): Promise<{ close(): Promise<void> }> {
  const { SlurmAllocator } = await import('@bottle/worker/slurm');
  const server = options.server ?? remoteUrl;
  if (server === undefined)
    throw new UsageError(
      `--slurm-alloc: the file names no "server" the compute nodes reach, and this server listens on loopback only (give --host)`,
    );
  const allocator = new SlurmAllocator({
    job: {
      slots: options.slots,
      command: options.workerCommand ?? thisWorkerCommand(),
      workerArgs: [
        options.tunnel ? server : normalizeServerUrl(server),
        ...(options.tunnel ? ['-t'] : []),
        ...options.workerArgs,
      ],
      time: options.time,
      partition: options.partition,
      mem: options.mem,
      gres: options.gres,
      account: options.account,
      qos: options.qos,
      jobName: options.jobName,
      output: options.output,
      signalSeconds: options.signalBefore,
      extraSbatchArgs: options.sbatchArgs,
      chdir: cwd,
    },
    maxJobs: options.maxJobs,
    maxWorkers: options.maxWorkers,
    everyMs: Math.round(options.every * 1000),
    queuedTasks: async () =>
      (await store.listScans()).scans.reduce((sum, scan) => sum + scan.counts.queued, 0),
    ledger: store,
    onDecision: (decision) => onEvent({ type: 'slurm.allocation', ...decision }),
    onError: (error) =>
      onEvent({ type: 'slurm.allocation', workers: 0, reason: `failed: ${(error as Error).message}` }),
    slurm: { env },
  });
  allocator.start();
  return allocator;
}
