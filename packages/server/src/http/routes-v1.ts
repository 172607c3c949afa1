/** The `/v1` API: queue verbs for workers, operators' verbs, and the read side. */
import { randomUUID } from 'node:crypto';
import {
  BottleError,
  type ClaimResponse,
  claimRequestSchema,
  completeBodySchema,
  type ErrorCode,
  failBodySchema,
  hashSchema,
  heartbeatRequestSchema,
  isClaimRequest,
  isReportRequest,
  keyPrefixSchema,
  listTasksQuerySchema,
  type Report,
  releaseBodySchema,
  reportRequestSchema,
  rerunScanRequestSchema,
  scanNameSchema,
  scanPriorityRequestSchema,
  scanWaitQuerySchema,
  submitRequestSchema,
  taskLogsQuerySchema,
} from '@bottle/protocol';
import type { Request, Response, Router } from 'express';
import { withWorkerStates } from '../events/worker-state.js';
import type { Queue } from '../queue/queue.js';
import { markUnfit } from '../queue/unfit.js';
import { parseQuick, parseWith } from './errors.js';
import type { HotRoutes } from './hot-path.js';
import type { ResolvedRouterOptions } from './options.js';

export interface RouteContext {
  /** The resolved options; workers' verbs go through `queue`, which tells them as events. */
  options: ResolvedRouterOptions;
  queue: Queue;
}

const keyParam = (req: Request) => parseWith(hashSchema, req.params['key'], 'key') as string;
const scanParam = (req: Request) => parseWith(scanNameSchema, req.params['name'], 'scan') as string;

/**
 * The queue verbs' answers: JSON without the ETag that `res.json` computes by hashing every body
 * (a POST answer is never revalidated), so that a claim of 100 tasks is not hashed on its way out.
 */
function send(res: Response, value: unknown): void {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(value));
}

/** The handlers of the submit, the claim and the report, mounted in two places (see hot-path.ts). */
export function hotRoutes(context: RouteContext): HotRoutes {
  const { options, queue } = context;
  const { store } = options;
  // The parts of every claim's answer besides its tasks, built once.
  const claimAnswer = {
    leaseMs: store.policy.leaseMs,
    heartbeatMs: options.heartbeatMs,
    ...(options.gatherDir === undefined ? {} : { upload: { maxBytes: options.maxUploadBytes } }),
  };
  return {
    async '/v1/tasks'(req, res) {
      const waiting = queue.waiting;
      const result = await queue.submit(parseWith(submitRequestSchema, req.body));
      if (waiting > 0) {
        // The waiting claims were answered inside the submit; let their answers leave first:
        // this one wakes the submitter, whose CPU would otherwise delay theirs.
        await new Promise((resolve) => setImmediate(resolve));
      }
      send(res, result);
    },
    async '/v1/claim'(req, res) {
      const body = parseQuick(isClaimRequest, claimRequestSchema, req.body);
      // A client that hangs up stops the wait: it must not be handed leases it will never see.
      const gone = new AbortController();
      const hangUp = () => gone.abort();
      res.once('close', hangUp);
      const tasks = await queue.claim(body, Math.min(body.waitMs, options.maxClaimWaitMs), gone.signal);
      // An abort builds an error with a stack: not on every answered claim's close.
      res.off('close', hangUp);
      // An empty answer says when a task waiting for a retry backoff is ready, so that a worker which
      // stops on an empty queue waits for it.
      const retryAt = tasks.length === 0 ? await store.nextReadyAt() : null;
      send(res, { tasks, ...claimAnswer, ...(retryAt === null ? {} : { retryAt }) } satisfies ClaimResponse);
    },
    async '/v1/report'(req, res) {
      const body = parseQuick(isReportRequest, reportRequestSchema, req.body);
      send(res, { results: await queue.report(body.workerId, body.reports) });
    },
  };
}

export function mountV1Routes(router: Router, context: RouteContext, hot: HotRoutes): void {
  const { options, queue } = context;
  const { store } = options;

  router.post('/v1/tasks', hot['/v1/tasks']);
  router.post('/v1/claim', hot['/v1/claim']);

  router.post('/v1/heartbeat', async (req, res) => {
    send(res, await queue.heartbeat(parseWith(heartbeatRequestSchema, req.body)));
  });

  router.post('/v1/report', hot['/v1/report']);

  const single = async (res: Response, report: Report, workerId: string | undefined) => {
    const [result] = await queue.report(workerId, [report]);
    if (!result) throw new Error('store.report returned no result');
    if (!result.ok) throw new BottleError(result.error.code as ErrorCode, result.error.message);
    send(res, result);
  };
  router.post('/v1/tasks/:key/complete', async (req, res) => {
    const key = keyParam(req);
    const { workerId, ...body } = parseWith(completeBodySchema, req.body);
    await single(res, { outcome: 'done', key, ...body }, workerId);
  });
  router.post('/v1/tasks/:key/fail', async (req, res) => {
    const key = keyParam(req);
    const { workerId, ...body } = parseWith(failBodySchema, req.body);
    await single(res, { outcome: 'failed', key, ...body }, workerId);
  });
  router.post('/v1/tasks/:key/release', async (req, res) => {
    const key = keyParam(req);
    const { workerId, ...body } = parseWith(releaseBodySchema, req.body);
    await single(res, { outcome: 'released', key, ...body }, workerId);
  });

  // Operators' routes take a unique key prefix too (what the worker prints).
  const operatorKey = async (req: Request) =>
    store.resolveKey(parseWith(keyPrefixSchema, req.params['key'], 'key') as string);
  router.post('/v1/tasks/:key/cancel', async (req, res) => {
    res.json(await store.cancelTask(await operatorKey(req)));
  });
  router.post('/v1/tasks/:key/rerun', async (req, res) => {
    const task = await store.rerunTask(await operatorKey(req));
    queue.notify();
    res.json(task);
  });
  router.post('/v1/scans/:name/cancel', async (req, res) => {
    res.json(await store.cancelScan(scanParam(req)));
  });
  router.post('/v1/scans/:name/rerun', async (req, res) => {
    const name = scanParam(req);
    const { only } = parseWith(rerunScanRequestSchema, req.body ?? {});
    const result = await store.rerunScan(name, only);
    if (result.count > 0) queue.notify();
    res.json(result);
  });

  router.post('/v1/scans/:name/priority', async (req, res) => {
    const name = scanParam(req);
    const { priority } = parseWith(scanPriorityRequestSchema, req.body ?? {});
    res.json(await store.setScanPriority(name, priority));
  });

  router.get('/v1/tasks', async (req, res) => {
    const page = await store.listTasks(parseWith(listTasksQuerySchema, { ...req.query }, 'query'));
    res.json({
      ...page,
      tasks: await markUnfit(page.tasks, store, queue.clock.now(), options.staleWorkerMs),
    });
  });
  router.get('/v1/tasks/:key', async (req, res) => {
    const detail = await store.getTask(await operatorKey(req));
    const [task] = await markUnfit([detail.task], store, queue.clock.now(), options.staleWorkerMs);
    res.json({ ...detail, task });
  });
  router.get('/v1/tasks/:key/logs', async (req, res) => {
    const { attempt } = parseWith(taskLogsQuerySchema, { ...req.query }, 'query');
    res.json(await store.getLogs(await operatorKey(req), attempt));
  });
  router.get('/v1/scans', async (_req, res) => {
    res.json(await store.listScans());
  });
  router.get('/v1/scans/:name', async (req, res) => {
    res.json(await store.getScan(scanParam(req)));
  });
  router.get('/v1/scans/:name/wait', async (req, res) => {
    const name = scanParam(req);
    const { waitMs } = parseWith(scanWaitQuerySchema, { ...req.query }, 'query');
    const gone = new AbortController();
    const hangUp = () => gone.abort();
    res.once('close', hangUp);
    const answer = await queue.waitForScan(name, Math.min(waitMs, options.maxClaimWaitMs), gone.signal);
    res.off('close', hangUp);
    res.json(answer);
  });
  router.get('/v1/scans/:name/activity', async (req, res) => {
    res.json(await store.scanActivity(scanParam(req)));
  });
  router.get('/v1/workers', async (_req, res) => {
    res.json(withWorkerStates(await store.listWorkers(), queue.clock.now(), options.staleWorkerMs));
  });
  // Tells a tunnel already open to this server from one open to another (bottle-worker -t).
  const instance = randomUUID();
  router.get(['/healthz', '/v1/healthz'], (_req, res) => {
    res.json({ ok: true, version: options.version, instance });
  });
}
