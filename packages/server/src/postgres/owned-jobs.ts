/** The Slurm jobs the allocator submitted (store/owned-jobs.ts). */
import type { OwnedJob } from '../store/owned-jobs.js';
import { type PgContext, rows } from './_context.js';

export async function listOwnedJobs(ctx: PgContext): Promise<OwnedJob[]> {
  return rows<OwnedJob>(
    ctx,
    `SELECT job_id AS "jobId", workers, submitted_at::float8 AS "submittedAt" FROM owned_jobs
     ORDER BY submitted_at, job_id`,
  );
}

export async function recordOwnedJob(ctx: PgContext, job: OwnedJob): Promise<void> {
  await ctx.db.query(
    'INSERT INTO owned_jobs (job_id, workers, submitted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [job.jobId, job.workers, job.submittedAt],
  );
}

export async function forgetOwnedJobs(ctx: PgContext, jobIds: readonly string[]): Promise<void> {
  await ctx.db.query('DELETE FROM owned_jobs WHERE job_id = ANY($1::text[])', [jobIds]);
}
