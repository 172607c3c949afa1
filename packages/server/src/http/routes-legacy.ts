/**
 * The 2013 Python worker's routes. That protocol has no acknowledgement: a task handed out by
 * `GET /task` is recorded `delivered` for good (never re-leased), and can be rerun like any other.
 */
import { BottleError, submitRequestSchema } from '@bottle/protocol';
import type { Request, Router } from 'express';
import { parseWith } from './errors.js';
import type { RouteContext } from './routes-v1.js';

/** The task name given to bare parameter sets posted without a `class_path`. */
export const LEGACY_TASK = 'legacy';

function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** `data` is a JSON list of parameter sets, or of `{ params, class_path }` as the original worker used them. */
function legacyTasks(body: Record<string, unknown>): { task: unknown; params: unknown }[] {
  let data: unknown = body['data'];
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch (error) {
      throw new BottleError('ERR_BAD_REQUEST', `data: not valid JSON (${(error as Error).message})`);
    }
  }
  if (!Array.isArray(data)) {
    throw new BottleError(
      'ERR_BAD_REQUEST',
      'data: send a form field data holding a JSON list of parameter sets',
    );
  }
  const fallback = typeof body['class_path'] === 'string' ? body['class_path'] : LEGACY_TASK;
  return data.map((item: unknown) => {
    if (typeof item === 'object' && item !== null && 'params' in item) {
      const { params, class_path } = item as { params: unknown; class_path?: unknown };
      return { task: class_path ?? fallback, params };
    }
    return { task: fallback, params: item };
  });
}

export function mountLegacyRoutes(router: Router, context: RouteContext): void {
  const { options, queue } = context;
  const { store } = options;

  router.get('/task', async (req, res) => {
    const host = clientAddress(req);
    const task = await store.claimLegacy({ workerId: `legacy@${host}`, host });
    res.json(task ?? []);
  });
  router.get('/tasks', async (_req, res) => {
    res.json(await store.listLegacy('queued', options.legacyListLimit));
  });
  // The original worker asks after every task where to upload its outputs; an empty URL meant
  // "keep them here", which is what a worker without the /v1 upload does.
  router.get('/upload', (_req, res) => {
    res.json({ url: '' });
  });
  router.get('/alltasks', async (_req, res) => {
    res.json(await store.listLegacy('all', options.legacyListLimit));
  });
  router.post('/tasks', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const request = parseWith(
      submitRequestSchema,
      {
        tasks: legacyTasks(body),
        ...(typeof body['scan'] === 'string' ? { scan: body['scan'] } : {}),
      },
      'data',
    );
    res.json(await queue.submit(request));
  });
}
