/**
 * The worker jobs a server's Slurm allocator submitted (`bottle-server --slurm-alloc`), kept in the
 * store so that a restarted server knows them and does not submit them again.
 */
export interface OwnedJob {
  /** Slurm's job id (of the array). */
  jobId: string;
  /** Workers the job was submitted with (array elements). */
  workers: number;
  /** Epoch ms, on the store's clock. */
  submittedAt: number;
}
