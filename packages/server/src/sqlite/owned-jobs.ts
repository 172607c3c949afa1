/** The Slurm jobs the allocator submitted (store/owned-jobs.ts). */
import type { OwnedJob } from '../store/owned-jobs.js';
import type { SqlContext } from './_context.js';

export function listOwnedJobs(ctx: SqlContext): OwnedJob[] {
  return ctx
    .stmt(
      'SELECT job_id AS jobId, workers, submitted_at AS submittedAt FROM owned_jobs ORDER BY submitted_at, job_id',
    )
    .all() as OwnedJob[];
}

export function recordOwnedJob(ctx: SqlContext, job: OwnedJob): void {
  ctx
    .stmt('INSERT INTO owned_jobs (job_id, workers, submitted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
    .run(job.jobId, job.workers, job.submittedAt);
}

export function forgetOwnedJobs(ctx: SqlContext, jobIds: readonly string[]): void {
  ctx
    .stmt('DELETE FROM owned_jobs WHERE job_id IN (SELECT value FROM json_each(?))')
    .run(JSON.stringify(jobIds));
}
