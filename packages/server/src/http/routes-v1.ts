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
  listTasksQuerySchema,
  type Report,
  releaseBodySchema,
  reportRequestSchema,
  rerunScanRequestSchema,
  scanNameSchema,
  submitRequestSchema,
} from '@bottle/protocol';
import type { Request, Response, Router } from 'express';
import { parseWith } from './errors.js';
import type { ClaimNotifier } from './notifier.js';
import type { ResolvedRouterOptions } from './options.js';

export interface RouteContext {
  options: ResolvedRouterOptions;
  notifier: ClaimNotifier;
  /** True once the router is closing: claims answer empty at once. */
  isClosing(): boolean;
}

const keyParam = (req: Request) => parseWith(hashSchema, req.params['key'], 'key') as string;
const scanParam = (req: Request) => parseWith(scanNameSchema, req.params['name'], 'scan') as string;

export function mountV1Routes(router: Router, context: RouteContext): void {
  const { options, notifier } = context;
  const { store } = options;
  const policy = {
    leaseMs: options.leaseMs,
    maxAttempts: options.maxAttempts,
    retryBackoffMs: options.retryBackoffMs,
    maxRetryBackoffMs: options.maxRetryBackoffMs,
    requireUpload: options.gatherDir !== undefined,
  };
  const upload = options.gatherDir === undefined ? {} : { upload: { maxBytes: options.maxUploadBytes } };

  router.post('/v1/tasks', async (req, res) => {
    const body = parseWith(submitRequestSchema, req.body);
    const result = await store.submit(body, policy);
    if (result.created + result.requeued > 0 && notifier.notify() > 0) {
      // Let the woken claims lease and answer first (they run in the microtasks before the next
      // turn): this answer wakes the submitter, whose CPU would otherwise delay theirs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.json(result);
  });

  router.post('/v1/claim', async (req, res) => {
    const body = parseWith(claimRequestSchema, req.body);
    const answer = (tasks: ClaimResponse['tasks'], retryAt: number | null = null) =>
      res.json({
        tasks,
        leaseMs: options.leaseMs,
        heartbeatMs: options.heartbeatMs,
        ...upload,
        ...(retryAt === null ? {} : { retryAt }),
      } satisfies ClaimResponse);
    const deadline = Date.now() + Math.min(body.waitMs, options.maxClaimWaitMs);
    // A client that hangs up stops the wait: it must not be handed leases it will never see.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    for (;;) {
      if (context.isClosing() || gone.signal.aborted) return answer([]);
      const generation = notifier.generation;
      const tasks = await store.claim(body, policy);
      // A full batch may have left more work (or requeued expired leases at claim time): let the others look.
      if (tasks.length === body.max && notifier.waiting > 0) notifier.notify();
      if (tasks.length > 0) return answer(tasks);
      // An empty answer says when a task waiting for a retry backoff is ready, so that a worker
      // which stops on an empty queue waits for it.
      const readyAt = await store.nextReadyAt();
      if (Date.now() >= deadline) return answer(tasks, readyAt);
      if (readyAt !== null) notifier.wakeAt(readyAt);
      // Something arrived while we claimed: try again before sleeping.
      if (notifier.generation !== generation) continue;
      await notifier.wait(deadline - Date.now(), gone.signal);
    }
  });

  router.post('/v1/heartbeat', async (req, res) => {
    res.json(await store.heartbeat(parseWith(heartbeatRequestSchema, req.body), policy));
  });

  router.post('/v1/report', async (req, res) => {
    const body = parseWith(reportRequestSchema, req.body);
    const results = await store.report(body.workerId, body.reports, policy);
    if (results.some((r, i) => r.ok && body.reports[i]!.outcome !== 'done')) notifier.notify();
    res.json({ results });
  });

  const single = async (res: Response, report: Report, workerId: string | undefined) => {
    const [result] = await store.report(workerId, [report], policy);
    if (!result) throw new Error('store.report returned no result');
    if (!result.ok) throw new BottleError(result.error.code as ErrorCode, result.error.message);
    if (report.outcome !== 'done') notifier.notify();
    res.json(result);
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

  router.post('/v1/tasks/:key/cancel', async (req, res) => {
    res.json(await store.cancelTask(keyParam(req)));
  });
  router.post('/v1/tasks/:key/rerun', async (req, res) => {
    const task = await store.rerunTask(keyParam(req));
    notifier.notify();
    res.json(task);
  });
  router.post('/v1/scans/:name/cancel', async (req, res) => {
    res.json(await store.cancelScan(scanParam(req)));
  });
  router.post('/v1/scans/:name/rerun', async (req, res) => {
    const name = scanParam(req);
    const { only } = parseWith(rerunScanRequestSchema, req.body ?? {});
    const result = await store.rerunScan(name, only);
    if (result.count > 0) notifier.notify();
    res.json(result);
  });

  router.get('/v1/tasks', async (req, res) => {
    res.json(await store.listTasks(parseWith(listTasksQuerySchema, { ...req.query }, 'query')));
  });
  router.get('/v1/tasks/:key', async (req, res) => {
    res.json(await store.getTask(keyParam(req)));
  });
  router.get('/v1/scans', async (_req, res) => {
    res.json(await store.listScans());
  });
  router.get('/v1/scans/:name', async (req, res) => {
    res.json(await store.getScan(scanParam(req)));
  });
  router.get('/v1/workers', async (_req, res) => {
    res.json(await store.listWorkers());
  });
  // Tells a tunnel already open to this server from one open to another (bottle-worker -t).
  const instance = randomUUID();
  router.get(['/healthz', '/v1/healthz'], (_req, res) => {
    res.json({ ok: true, version: options.version, instance });
  });
}
