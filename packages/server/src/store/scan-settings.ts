/**
 * What a submit sets on its scan besides its tasks: the reduce task (store/reduce.ts) and the
 * objective (the result field the scan's tasks are ranked by; a search submits its own). A request
 * that names one replaces the scan's former one; a request that does not leaves it as it was, so that
 * a later plain submit into a search's scan keeps the search's objective.
 */
import { type Objective, objectiveSchema, type SubmitRequest } from '@bottle/protocol';
import { DEFAULT_SCAN } from './submit.js';

/** The scan's columns a submit sets; null leaves the column as it was. */
export interface ScanSettings {
  scan: string;
  reduceTask: string | null;
  /** The objective as stored: its canonical JSON text (objectiveText). */
  objective: string | null;
}

/** The settings `request` sets on its scan, or undefined when it sets none. */
export function scanSettingsOf(request: SubmitRequest): ScanSettings | undefined {
  if (request.reduce === undefined && request.objective === undefined) return undefined;
  return {
    scan: request.scan ?? DEFAULT_SCAN,
    reduceTask: request.reduce ?? null,
    objective: request.objective === undefined ? null : objectiveText(request.objective),
  };
}

/** The stored text of an objective: one key, so that equal objectives store equal texts. */
export function objectiveText(objective: Objective): string {
  return 'minimize' in objective
    ? JSON.stringify({ minimize: objective.minimize })
    : JSON.stringify({ maximize: objective.maximize });
}

/** The objective a stored text holds; undefined for none, or for a text this version cannot read. */
export function objectiveOfText(text: string | null): Objective | undefined {
  if (text === null) return undefined;
  try {
    const parsed = objectiveSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
