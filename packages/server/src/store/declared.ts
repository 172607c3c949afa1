/**
 * What each worker declared it has (`resources`, `labels` of its claims), kept with the worker so
 * that the dashboard shows it and a task no worker fits is told (store/fit.ts). A worker claims many
 * times a second and declares the same each time: its row is written only when what it says changes.
 */
import type { ClaimRequest } from '@bottle/protocol';

/** The columns as stored: JSON text, null for nothing declared. */
export interface Declared {
  resources: string | null;
  labels: string | null;
}

/** What a claim declares, or undefined when it declares nothing (an older worker: its row stays). */
export function declaredBy(request: ClaimRequest): Declared | undefined {
  if (request.resources === undefined && request.labels === undefined) return undefined;
  return {
    resources: request.resources === undefined ? null : JSON.stringify(request.resources),
    labels: request.labels?.length ? JSON.stringify(request.labels) : null,
  };
}

/** The last declaration written for each worker, so that an unchanged one is not written again. */
export class DeclaredCache {
  readonly #written = new Map<string, string>();

  /** True when `declared` differs from what was last written for the worker (then it counts as written). */
  changed(workerId: string, declared: Declared): boolean {
    const text = `${declared.resources}\n${declared.labels}`;
    if (this.#written.get(workerId) === text) return false;
    if (this.#written.size > 100_000) this.#written.clear();
    this.#written.set(workerId, text);
    return true;
  }
}
