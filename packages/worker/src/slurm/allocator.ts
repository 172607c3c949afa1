/**
 * The allocator's loop: every `everyMs`, read bottle's queue and Slurm's view of the jobs the
 * allocator owns, decide (allocate.ts), and submit one job array when workers are wanted. The jobs
 * it owns live in the ledger (the server's store), so that a restart neither forgets nor repeats them.
 */
import { type AllocationDecision, decideAllocation, elementsOf } from './allocate.js';
import { listJobs, type SlurmCommandOptions, submitJobScript } from './commands.js';
import { pendingForever, pendingReasonHint } from './reasons.js';
import { type SlurmJobOptions, slurmJobScript } from './script.js';

/** Where the allocator records the jobs it owns (the Store's methods of that name). */
export interface OwnedJobLedger {
  listOwnedJobs(): Promise<Array<{ jobId: string; workers: number; submittedAt: number }>>;
  recordOwnedJob(job: { jobId: string; workers: number; submittedAt: number }): Promise<void>;
  forgetOwnedJobs(jobIds: readonly string[]): Promise<void>;
}

/** An owned job as Slurm's queue shows it: its workers pending and running (or ending). */
export interface OwnedJobState {
  jobId: string;
  pending: number;
  running: number;
}

export interface SlurmAllocatorOptions {
  /** The job script of each submission; `array` is the decision's. */
  job: Omit<SlurmJobOptions, 'array'>;
  maxJobs: number;
  maxWorkers: number;
  /** How often to decide. */
  everyMs: number;
  /** Tasks waiting in bottle's queue. */
  queuedTasks(): Promise<number>;
  ledger: OwnedJobLedger;
  /**
   * Each decision whose reason or jobs differ from the one before, and each submission (`jobId`),
   * with the owned jobs as Slurm's queue showed them (for the dashboard).
   */
  onDecision(decision: AllocationDecision & { jobId?: string; jobs: OwnedJobState[] }): void;
  onError(error: unknown): void;
  slurm?: SlurmCommandOptions;
}

export class SlurmAllocator {
  readonly #options: SlurmAllocatorOptions;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<unknown> = Promise.resolve();
  /** The reason and jobs last told, so that an unchanged round says nothing. */
  #lastTold = '';
  #closed = false;

  constructor(options: SlurmAllocatorOptions) {
    this.#options = options;
    // Checked up front: a bad option is an error at start, not at the first submission.
    slurmJobScript({ ...options.job, array: 1 });
  }

  start(): void {
    const loop = () => {
      this.#ticking = this.tick().finally(() => {
        if (!this.#closed) this.#timer = setTimeout(loop, this.#options.everyMs);
      });
    };
    loop();
  }

  /** One round: forget ended jobs, decide, submit. Errors go to `onError`; the next round tries again. */
  async tick(): Promise<AllocationDecision | undefined> {
    const o = this.#options;
    try {
      const owned = await o.ledger.listOwnedJobs();
      const listed = await listJobs({ name: o.job.jobName }, o.slurm);
      const mine = new Set(owned.map((job) => job.jobId));
      const live = listed.filter((job) => mine.has(job.jobId.split('_')[0] as string));
      const alive = new Set(live.map((job) => job.jobId.split('_')[0] as string));
      const ended = owned.filter((job) => !alive.has(job.jobId)).map((job) => job.jobId);
      if (ended.length > 0) await o.ledger.forgetOwnedJobs(ended);
      const workers = (pending: boolean, of = live) =>
        of
          .filter((job) => (job.state === 'PENDING') === pending)
          .reduce((sum, job) => sum + elementsOf(job.jobId), 0);
      const jobs: OwnedJobState[] = [...alive].map((jobId) => {
        const elements = live.filter((job) => job.jobId.split('_')[0] === jobId);
        return { jobId, pending: workers(true, elements), running: workers(false, elements) };
      });
      const decided = decideAllocation(
        {
          queuedTasks: await o.queuedTasks(),
          pendingWorkers: workers(true),
          runningWorkers: workers(false),
          ownedJobs: alive.size,
        },
        { slots: o.job.slots, maxJobs: o.maxJobs, maxWorkers: o.maxWorkers },
      );
      // Slurm queues a job that can never start as asked: the decision says so, or it would wait on it for ever.
      const stuck = live.find((job) => job.state === 'PENDING' && pendingForever(job.nodeOrReason));
      const decision = stuck
        ? {
            ...decided,
            reason: `${decided.reason}; job ${stuck.jobId} pending ${stuck.nodeOrReason}: ${pendingReasonHint(stuck.nodeOrReason)}`,
          }
        : decided;
      if (decision.workers > 0 && !this.#closed) {
        const jobId = await submitJobScript(slurmJobScript({ ...o.job, array: decision.workers }), o.slurm);
        await o.ledger.recordOwnedJob({ jobId, workers: decision.workers, submittedAt: Date.now() });
        // Just submitted: its workers wait in Slurm's queue.
        o.onDecision({
          ...decision,
          jobId,
          jobs: [...jobs, { jobId, pending: decision.workers, running: 0 }],
        });
        this.#lastTold = '';
      } else {
        const told = JSON.stringify([decision.reason, jobs]);
        if (told !== this.#lastTold) o.onDecision({ ...decision, jobs });
        this.#lastTold = told;
      }
      return decision;
    } catch (error) {
      o.onError(error);
      return undefined;
    }
  }

  /** Stops deciding; the jobs submitted run on (they end when the queue is empty). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }
}
