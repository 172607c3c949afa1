/**
 * Which tasks fit which worker, one rule for both stores. A task's needs are its shape (see
 * `needsShape`): a worker gets a task when it has every label the task needs and, free, at least
 * each amount the task asks. A task that asks nothing fits every worker; a worker that declared
 * nothing gets only such tasks. The stores' SQL reads the queue one shape at a time (a few shapes,
 * each an index range); this file says which shapes to read and which rows to lease.
 */
import {
  type ClaimRequest,
  type Needs,
  parseNeedsShape,
  type Resources,
  type WorkerInfo,
} from '@bottle/protocol';

/** What a claim offers: what its worker has free now, and its labels. */
export interface Offer {
  free: Resources;
  labels: ReadonlySet<string>;
}

/** Amounts are often fractions (0.5 GPU): a sum of them may miss by a rounding error. */
const EPSILON = 1e-9;

const parsed = new Map<string, Needs>();

/** The needs of a shape text, parsed once (the shapes are few). */
export function needsOf(shape: string): Needs {
  let needs = parsed.get(shape);
  if (needs === undefined) {
    needs = parseNeedsShape(shape);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(shape, needs);
  }
  return needs;
}

/** What the claim offers, or null when its worker declared no resources and no labels. */
export function offerOf(request: ClaimRequest): Offer | null {
  const free = request.free ?? request.resources;
  if (free === undefined && !request.labels?.length) return null;
  return { free: free ?? {}, labels: new Set(request.labels ?? []) };
}

/** How many tasks of these needs fit in `free` with `labels`, at most `max` (0 when none fits). */
export function howMany(needs: Needs, free: Resources, labels: ReadonlySet<string>, max: number): number {
  for (const label of needs.needs) if (!labels.has(label)) return 0;
  let most = max;
  for (const [name, amount] of Object.entries(needs.resources)) {
    most = Math.min(most, Math.floor(((free[name] ?? 0) + EPSILON) / amount));
    if (most <= 0) return 0;
  }
  return most;
}

/** The shapes of which at least one task fits the offer, each with how many fit at most. */
export function fittingShapes(
  shapes: readonly string[],
  offer: Offer,
  max: number,
): { shape: string; most: number }[] {
  const fitting: { shape: string; most: number }[] = [];
  for (const shape of shapes) {
    const most = howMany(needsOf(shape), offer.free, offer.labels, max);
    if (most > 0) fitting.push({ shape, most });
  }
  return fitting;
}

/**
 * Of candidate rows in queue order, those to lease: each in turn while it still fits what the rows
 * taken before it left free, at most `max`. Rows without a shape ask nothing.
 */
export function takeFitting<T extends { shape: string | null }>(
  rows: readonly T[],
  offer: Offer,
  max: number,
): T[] {
  const free: Resources = { ...offer.free };
  const taken: T[] = [];
  for (const row of rows) {
    if (taken.length >= max) break;
    if (row.shape === null) {
      taken.push(row);
      continue;
    }
    const needs = needsOf(row.shape);
    if (howMany(needs, free, offer.labels, 1) === 0) continue;
    for (const [name, amount] of Object.entries(needs.resources)) free[name] = (free[name] ?? 0) - amount;
    taken.push(row);
  }
  return taken;
}

/**
 * True when none of `workers` could ever take a task of these needs, even idle (what each has in
 * all, not what it has free). Only workers heard from lately count; with none, nothing is unfit.
 */
export function fitsNoWorker(needs: Needs, workers: readonly WorkerInfo[]): boolean {
  const alive = workers.filter((worker) => worker.state === undefined || worker.state === 'alive');
  if (alive.length === 0) return false;
  return alive.every(
    (worker) => howMany(needs, worker.resources ?? {}, new Set(worker.labels ?? []), 1) === 0,
  );
}

/** How long a server on a shared database trusts its list of shapes (another server may add one). */
const SHAPES_MAX_AGE_MS = 1_000;

/**
 * The shapes ever submitted, read again once a second and after this server's own submits of a
 * shape: a store shared by several servers learns another's new shape within the second.
 */
export class ShapeCache {
  #readAt = Number.NEGATIVE_INFINITY;
  #value: readonly string[] = [];

  fresh(now: number): readonly string[] | undefined {
    return now - this.#readAt < SHAPES_MAX_AGE_MS && now >= this.#readAt ? this.#value : undefined;
  }

  store(now: number, value: readonly string[]): readonly string[] {
    this.#readAt = now;
    this.#value = value;
    return value;
  }

  forget(): void {
    this.#readAt = Number.NEGATIVE_INFINITY;
  }
}
