/** The options file of `bottle-server --slurm-alloc FILE`: the worker jobs to submit and the limits. */
import { BottleError } from '@bottle/protocol';
import { z } from 'zod';

const text = z.string().min(1);

export const allocationFileSchema = z.strictObject({
  /** The server as compute nodes reach it (with `tunnel`: the SSH host). */
  server: text.optional(),
  tunnel: z.boolean().default(false),
  slots: z.int().min(1).default(1),
  time: text.optional(),
  partition: text.optional(),
  mem: text.optional(),
  gres: text.optional(),
  account: text.optional(),
  qos: text.optional(),
  sbatchArgs: z.array(text).default([]),
  workerArgs: z.array(text).default([]),
  workerCommand: text.optional(),
  jobName: text.default('bottle-alloc'),
  output: text.default('bottle-worker-%A_%a.out'),
  signalBefore: z.int().min(0).max(65535).default(60),
  maxJobs: z.int().min(1).default(4),
  maxWorkers: z.int().min(1).default(16),
  /** Seconds between decisions. */
  every: z.number().positive().default(30),
});

export type AllocationFile = z.infer<typeof allocationFileSchema>;

/** Parses and checks the file; a mistake is an ERR_USAGE naming the field. */
export function parseAllocationFile(content: string, name: string): AllocationFile {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    throw new BottleError('ERR_USAGE', `${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = allocationFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BottleError('ERR_USAGE', `${name}: ${issue?.path.join('.') || 'the file'}: ${issue?.message}`);
  }
  return parsed.data;
}
